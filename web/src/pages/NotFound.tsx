import { Link } from 'react-router';
import { EmptyState } from '../components/ui';

export default function NotFound() {
  return (
    <EmptyState title="Page not found" action={<Link className="text-sm font-medium text-accent hover:underline" to="/">Back to the overview</Link>}>
      There is nothing at this address.
    </EmptyState>
  );
}
