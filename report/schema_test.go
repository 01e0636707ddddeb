package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/patterns"
)

// schemaPath is the JSON Schema of the report (README, "JSON output").
const schemaPath = "../docs/report.schema.json"

// goldenGlobs find every JSON report kept as a golden in the repository.
var goldenGlobs = []string{
	"../testdata/demo/report.json",
	"../testdata/scenarios/*/expected.json",
	"testdata/*.json",
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", schemaPath, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat() // date-time is checked, not just annotated
	if err := c.AddResource("report.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("report.schema.json")
	if err != nil {
		t.Fatalf("%s: %v", schemaPath, err)
	}
	return sch
}

func instance(t *testing.T, b []byte) any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// richer is sample with every optional field and the rarer values: settings
// quoted from files and defaults, a source that could not be opened.
func richer() analyze.Result {
	res := sample()
	res.Sources = append(res.Sources, analyze.Source{Path: "/var/log/mysql/error.log", Error: "open /var/log/mysql/error.log: permission denied"})
	res.Totals.Status["009"] = 3
	c := &res.Incidents[0].Causes[0]
	c.Settings = []analyze.Setting{
		{Name: "pm.max_children", Value: "4", File: "/etc/php/8.2/fpm/pool.d/www.conf", Line: 113, Quote: "pm.max_children 4 (/etc/php/8.2/fpm/pool.d/www.conf:113)"},
		{Name: "listen.backlog", Value: "511", Default: true, Quote: "listen.backlog 511 (default)"},
	}
	res.Incidents[0].Chain = []analyze.Kind{analyze.FPMWorkerExhaustion, analyze.UpstreamTimeout}
	res.Incidents[0].TopApprox = []analyze.TopApprox{{List: analyze.ListClients, DistinctMoreThan: 10_000, Error: 141}}
	return res
}

func TestGoldensMatchSchema(t *testing.T) {
	sch := compileSchema(t)
	var files []string
	for _, g := range goldenGlobs {
		m, err := filepath.Glob(g)
		if err != nil {
			t.Fatal(err)
		}
		if len(m) == 0 {
			t.Errorf("no golden matches %s", g)
		}
		files = append(files, m...)
	}
	for _, p := range files {
		t.Run(p, func(t *testing.T) {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(instance(t, b)); err != nil {
				t.Errorf("%s does not match %s:\n%v", p, schemaPath, err)
			}
		})
	}
	t.Run("richer fixture", func(t *testing.T) {
		var b bytes.Buffer
		if err := JSON(&b, richer()); err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(instance(t, b.Bytes())); err != nil {
			t.Errorf("the richer fixture does not match %s:\n%v\n%s", schemaPath, err, b.Bytes())
		}
	})
}

// TestSchemaRejects proves the schema can fail: each case spoils a valid
// report in memory and requires the validator to refuse it.
func TestSchemaRejects(t *testing.T) {
	sch := compileSchema(t)
	var b bytes.Buffer
	if err := JSON(&b, richer()); err != nil {
		t.Fatal(err)
	}
	valid := b.Bytes()
	incident := func(doc any) map[string]any { return doc.(map[string]any)["incidents"].([]any)[0].(map[string]any) }
	cause := func(doc any) map[string]any { return incident(doc)["causes"].([]any)[0].(map[string]any) }
	obj := func(doc any, key string) map[string]any { return doc.(map[string]any)[key].(map[string]any) }
	for _, tc := range []struct {
		name  string
		spoil func(doc any)
	}{
		{"renamed field", func(doc any) {
			inc := incident(doc)
			inc["rootCause"] = inc["root_cause"]
			delete(inc, "root_cause")
		}},
		{"undocumented field", func(doc any) { obj(doc, "totals")["bytes"] = json.Number("1") }},
		{"missing required field", func(doc any) { delete(doc.(map[string]any), "noise") }},
		{"wrong type", func(doc any) { obj(doc, "totals")["requests"] = "many" }},
		{"negative count", func(doc any) { obj(doc, "totals")["requests"] = json.Number("-1") }},
		{"unknown cause kind", func(doc any) { cause(doc)["kind"] = "gremlins" }},
		{"unknown kind in the chain", func(doc any) { incident(doc)["chain"] = []any{"gremlins"} }},
		{"unknown source format", func(doc any) {
			doc.(map[string]any)["sources"].([]any)[0].(map[string]any)["format"] = "iis"
		}},
		{"status key not 3 digits", func(doc any) { obj(doc, "totals")["status"].(map[string]any)["5xx"] = json.Number("1") }},
		{"not a date-time", func(doc any) { obj(doc, "range")["start"] = "yesterday" }},
		{"confidence above 1", func(doc any) { cause(doc)["confidence"] = json.Number("1.5") }},
		{"null list", func(doc any) { cause(doc)["settings"] = nil }},
		{"wrong version", func(doc any) { doc.(map[string]any)["version"] = json.Number("2") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := instance(t, valid)
			tc.spoil(doc)
			if err := sch.Validate(doc); err == nil {
				t.Errorf("the schema accepts a report with a %s", tc.name)
			}
		})
	}
}

// TestSchemaFollowsTypes walks analyze.Result by reflection and requires the
// schema to document each JSON field at its place, required unless
// omitempty, and nothing the types do not write.
func TestSchemaFollowsTypes(t *testing.T) {
	b, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	var root map[string]any
	if err := json.Unmarshal(b, &root); err != nil {
		t.Fatal(err)
	}
	s := schemaWalk{t: t, root: root}
	s.check("$", reflect.TypeFor[analyze.Result](), root)

	if v := s.resolve(root["properties"].(map[string]any)["version"])["const"]; v != float64(analyze.Version) {
		t.Errorf("schema: version is %v, analyze.Version is %d", v, analyze.Version)
	}
	var kinds []string
	for _, k := range analyze.Kinds {
		kinds = append(kinds, string(k))
	}
	s.enum("$defs.kind", root["$defs"].(map[string]any)["kind"], kinds)
	var formats []string
	for _, k := range patterns.Kinds() {
		formats = append(formats, k.String())
	}
	s.enum("$defs.logFormat", root["$defs"].(map[string]any)["logFormat"], formats)
}

type schemaWalk struct {
	t    *testing.T
	root map[string]any
}

// resolve follows a local $ref ("#/$defs/name").
func (s schemaWalk) resolve(node any) map[string]any {
	n, _ := node.(map[string]any)
	for n != nil {
		ref, ok := n["$ref"].(string)
		if !ok {
			return n
		}
		n = s.root
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			n, _ = n[part].(map[string]any)
		}
		if n == nil {
			s.t.Fatalf("schema: $ref %s points nowhere", ref)
		}
	}
	return map[string]any{}
}

func (s schemaWalk) enum(at string, node any, want []string) {
	var got []string
	for _, v := range s.resolve(node)["enum"].([]any) {
		got = append(got, v.(string))
	}
	if !slices.Equal(got, want) {
		s.t.Errorf("schema %s: enum %q, the Go vocabulary is %q", at, got, want)
	}
}

var timeType = reflect.TypeFor[time.Time]()

// check requires node to describe values of type typ.
func (s schemaWalk) check(at string, typ reflect.Type, node any) {
	n := s.resolve(node)
	if typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	switch {
	case typ == timeType:
		if n["type"] != "string" || n["format"] != "date-time" {
			s.t.Errorf("schema %s: a time, want type string, format date-time", at)
		}
	case typ == reflect.TypeFor[analyze.Kind]():
		if _, ok := n["enum"]; !ok {
			s.t.Errorf("schema %s: a cause kind, want the kind enum", at)
		}
	case typ.Kind() == reflect.Struct:
		s.object(at, typ, n)
	case typ.Kind() == reflect.Slice:
		if n["type"] != "array" {
			s.t.Errorf("schema %s: a list, want type array, not %v", at, n["type"])
			return
		}
		s.check(at+"[]", typ.Elem(), n["items"])
	case typ.Kind() == reflect.Map:
		if n["type"] != "object" {
			s.t.Errorf("schema %s: a map, want type object", at)
			return
		}
		s.check(at+"{}", typ.Elem(), n["additionalProperties"])
	case typ.Kind() == reflect.String:
		if n["type"] != "string" && n["enum"] == nil && n["anyOf"] == nil {
			s.t.Errorf("schema %s: a string, want type string or an enum", at)
		}
	case typ.Kind() == reflect.Int || typ.Kind() == reflect.Int64:
		if n["type"] != "integer" && n["const"] == nil {
			s.t.Errorf("schema %s: an integer, want type integer", at)
		}
	case typ.Kind() == reflect.Float64:
		if n["type"] != "number" {
			s.t.Errorf("schema %s: a number, want type number", at)
		}
	case typ.Kind() == reflect.Bool:
		if n["type"] != "boolean" {
			s.t.Errorf("schema %s: a bool, want type boolean", at)
		}
	default:
		s.t.Errorf("schema %s: no rule for the Go type %s", at, typ)
	}
}

func (s schemaWalk) object(at string, typ reflect.Type, n map[string]any) {
	if n["type"] != "object" || n["additionalProperties"] != false {
		s.t.Errorf("schema %s: %s, want type object with additionalProperties false", at, typ)
	}
	props, _ := n["properties"].(map[string]any)
	var fields, required []string
	for f := range typ.Fields() {
		tag, ok := f.Tag.Lookup("json")
		name, opts, _ := strings.Cut(tag, ",")
		if !f.IsExported() || !ok || name == "-" {
			s.t.Fatalf("%s.%s: every field of the report has a json name", typ, f.Name)
		}
		fields = append(fields, name)
		if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") {
			required = append(required, name)
		}
		p, ok := props[name]
		if !ok {
			s.t.Errorf("schema %s: no property %q for %s.%s", at, name, typ, f.Name)
			continue
		}
		s.check(at+"."+name, f.Type, p)
	}
	for name := range props {
		if !slices.Contains(fields, name) {
			s.t.Errorf("schema %s: property %q is no field of %s", at, name, typ)
		}
	}
	var got []string
	for _, r := range n["required"].([]any) {
		got = append(got, r.(string))
	}
	sort.Strings(got)
	sort.Strings(required)
	if !slices.Equal(got, required) {
		s.t.Errorf("schema %s: required %q, %s always writes %q", at, got, typ, required)
	}
}
