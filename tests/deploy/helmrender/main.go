// helmrender: renders a Helm chart the way `helm template` does, for the deploy checks
// on machines without helm (tests/deploy/run.sh builds it from Debian's golang-go and
// golang-github-masterminds-sprig-dev; nothing is downloaded).
//
//	helmrender [-f values.yaml]... [--name RELEASE] [--namespace NS] [--upgrade] CHART_DIR
//
// What it reproduces of Helm 3's engine (pkg/engine): Go text/template with sprig's
// functions (minus env/expandenv) and Helm's own include, tpl, required, fail, toYaml,
// fromYaml, toJson, fromJson, lookup (always empty, as under `helm template`); values read
// through JSON, so numbers are float64 as in Helm; -f files deep-merged over values.yaml
// (null deletes a key); templates named "CHART/templates/FILE"; files starting with "_"
// are partials; "<no value>" removed from the output; NOTES.txt rendered on its own
// (written to stderr with --notes). Output: "---\n# Source: CHART/templates/FILE\n" + text
// for every template that renders to something other than whitespace.
//
// It is not Helm: no schema validation, no subcharts, no .Files globbing, no Capabilities
// beyond a fixed Kubernetes version. The checks use it to catch template errors, missing
// values and malformed manifests; a real `helm lint`/`helm template` is still worth
// running where helm exists.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/template"

	sprig "github.com/Masterminds/sprig/v3"
	yaml "gopkg.in/yaml.v2"
)

type valueFiles []string

func (v *valueFiles) String() string     { return strings.Join(*v, ",") }
func (v *valueFiles) Set(s string) error { *v = append(*v, s); return nil }

// toJSONCompatible turns yaml.v2's map[interface{}]interface{} into map[string]interface{}.
func toJSONCompatible(v interface{}) interface{} {
	switch t := v.(type) {
	case map[interface{}]interface{}:
		m := make(map[string]interface{}, len(t))
		for k, val := range t {
			m[fmt.Sprint(k)] = toJSONCompatible(val)
		}
		return m
	case []interface{}:
		for i := range t {
			t[i] = toJSONCompatible(t[i])
		}
		return t
	}
	return v
}

// readValues reads YAML the way Helm does (sigs.k8s.io/yaml: YAML -> JSON -> Go), so
// numbers come out as float64.
func readValues(data []byte) (map[string]interface{}, error) {
	var raw interface{}
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return nil, err
	}
	if raw == nil {
		return map[string]interface{}{}, nil
	}
	js, err := json.Marshal(toJSONCompatible(raw))
	if err != nil {
		return nil, err
	}
	out := map[string]interface{}{}
	if err := json.Unmarshal(js, &out); err != nil {
		return nil, fmt.Errorf("values must be a map: %v", err)
	}
	return out, nil
}

// mergeValues deep-merges src over dst (Helm's coalescing of -f files; null deletes).
func mergeValues(dst, src map[string]interface{}) {
	for k, sv := range src {
		if sv == nil {
			delete(dst, k)
			continue
		}
		sm, sok := sv.(map[string]interface{})
		dm, dok := dst[k].(map[string]interface{})
		if sok && dok {
			mergeValues(dm, sm)
			continue
		}
		dst[k] = sv
	}
}

func toYAML(v interface{}) string {
	// Helm: sigs.k8s.io/yaml.Marshal (JSON round trip, then YAML), trailing newline trimmed.
	js, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	var generic interface{}
	if err := yaml.Unmarshal(js, &generic); err != nil {
		return ""
	}
	out, err := yaml.Marshal(generic)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(out), "\n")
}

func fromYAML(s string) map[string]interface{} {
	m, err := readValues([]byte(s))
	if err != nil {
		return map[string]interface{}{"Error": err.Error()}
	}
	return m
}

func toJSON(v interface{}) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

func fromJSON(s string) map[string]interface{} {
	m := map[string]interface{}{}
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

type apiVersions []string

func (a apiVersions) Has(v string) bool {
	for _, x := range a {
		if x == v {
			return true
		}
	}
	return false
}

func main() {
	var files valueFiles
	name := flag.String("name", "statushawk", "release name")
	namespace := flag.String("namespace", "default", "release namespace")
	upgrade := flag.Bool("upgrade", false, "render as an upgrade (.Release.IsUpgrade)")
	notes := flag.Bool("notes", false, "also render NOTES.txt to stderr")
	flag.Var(&files, "f", "values file (repeatable, later ones win)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: helmrender [-f values.yaml]... [--name R] [--namespace NS] [--upgrade] CHART_DIR")
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *name, *namespace, *upgrade, *notes, files); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}

func run(chartDir, release, namespace string, upgrade, notes bool, files []string) error {
	chartRaw, err := os.ReadFile(filepath.Join(chartDir, "Chart.yaml"))
	if err != nil {
		return err
	}
	chartMeta, err := readValues(chartRaw)
	if err != nil {
		return fmt.Errorf("Chart.yaml: %v", err)
	}
	chartName, _ := chartMeta["name"].(string)
	if chartName == "" {
		return errors.New("Chart.yaml: no name")
	}
	// .Chart uses Go field names (Name, Version, AppVersion, ...).
	chart := map[string]interface{}{}
	for k, v := range chartMeta {
		chart[strings.ToUpper(k[:1])+k[1:]] = v
	}

	valuesRaw, err := os.ReadFile(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		return err
	}
	values, err := readValues(valuesRaw)
	if err != nil {
		return fmt.Errorf("values.yaml: %v", err)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		over, err := readValues(raw)
		if err != nil {
			return fmt.Errorf("%s: %v", f, err)
		}
		mergeValues(values, over)
	}

	tdir := filepath.Join(chartDir, "templates")
	entries, err := os.ReadDir(tdir)
	if err != nil {
		return err
	}
	var names []string
	root := template.New("gotpl")
	root.Option("missingkey=zero")

	funcs := sprig.TxtFuncMap()
	delete(funcs, "env")
	delete(funcs, "expandenv")
	funcs["toYaml"] = toYAML
	funcs["fromYaml"] = fromYAML
	funcs["toJson"] = toJSON
	funcs["fromJson"] = fromJSON
	funcs["required"] = func(msg string, v interface{}) (interface{}, error) {
		if v == nil {
			return v, errors.New(msg)
		}
		if s, ok := v.(string); ok && s == "" {
			return v, errors.New(msg)
		}
		return v, nil
	}
	funcs["fail"] = func(msg string) (string, error) { return "", errors.New(msg) }
	funcs["lookup"] = func(string, string, string, string) (map[string]interface{}, error) {
		return map[string]interface{}{}, nil
	}
	funcs["include"] = func(name string, data interface{}) (string, error) {
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, name, data); err != nil {
			return "", err
		}
		return buf.String(), nil
	}
	funcs["tpl"] = func(text string, data interface{}) (string, error) {
		t, err := root.Clone()
		if err != nil {
			return "", err
		}
		t, err = t.New("tpl").Parse(text)
		if err != nil {
			return "", err
		}
		var buf bytes.Buffer
		if err := t.Execute(&buf, data); err != nil {
			return "", err
		}
		return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
	}
	root.Funcs(funcs)

	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		fn := e.Name()
		if !strings.HasSuffix(fn, ".yaml") && !strings.HasSuffix(fn, ".yml") &&
			!strings.HasSuffix(fn, ".tpl") && fn != "NOTES.txt" {
			continue
		}
		body, err := os.ReadFile(filepath.Join(tdir, fn))
		if err != nil {
			return err
		}
		tname := chartName + "/templates/" + fn
		if _, err := root.New(tname).Parse(string(body)); err != nil {
			return err
		}
		names = append(names, tname)
	}
	sort.Strings(names)

	top := map[string]interface{}{
		"Values": values,
		"Chart":  chart,
		"Release": map[string]interface{}{
			"Name":      release,
			"Namespace": namespace,
			"Service":   "Helm",
			"IsInstall": !upgrade,
			"IsUpgrade": upgrade,
			"Revision":  map[bool]int{false: 1, true: 2}[upgrade],
		},
		"Capabilities": map[string]interface{}{
			"KubeVersion": map[string]interface{}{
				"Version": "v1.29.0", "Major": "1", "Minor": "29", "GitVersion": "v1.29.0",
			},
			"APIVersions": apiVersions{"v1", "apps/v1", "batch/v1", "policy/v1",
				"autoscaling/v2", "networking.k8s.io/v1"},
		},
		"Files": map[string]interface{}{},
	}

	var out bytes.Buffer
	for _, tname := range names {
		base := filepath.Base(tname)
		if strings.HasPrefix(base, "_") || base == "NOTES.txt" {
			continue
		}
		data := map[string]interface{}{}
		for k, v := range top {
			data[k] = v
		}
		data["Template"] = map[string]interface{}{
			"Name": tname, "BasePath": chartName + "/templates",
		}
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, tname, data); err != nil {
			return err
		}
		text := strings.ReplaceAll(buf.String(), "<no value>", "")
		if strings.TrimSpace(text) == "" {
			continue
		}
		fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", tname, text)
	}
	if _, err := os.Stdout.Write(out.Bytes()); err != nil {
		return err
	}
	if notes {
		tname := chartName + "/templates/NOTES.txt"
		if root.Lookup(tname) != nil {
			data := map[string]interface{}{}
			for k, v := range top {
				data[k] = v
			}
			data["Template"] = map[string]interface{}{"Name": tname, "BasePath": chartName + "/templates"}
			var buf bytes.Buffer
			if err := root.ExecuteTemplate(&buf, tname, data); err != nil {
				return err
			}
			fmt.Fprint(os.Stderr, strings.ReplaceAll(buf.String(), "<no value>", ""))
		}
	}
	return nil
}
