package ksef_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/ksef2/ksef/internal/testenv"
)

type specSchema struct {
	Type       string                     `json:"type"`
	Enum       []string                   `json:"enum"`
	Required   []string                   `json:"required"`
	Properties map[string]json.RawMessage `json:"properties"`
	Example    json.RawMessage            `json:"example"`
}

func loadSchemas(t *testing.T) map[string]specSchema {
	t.Helper()
	var doc struct {
		Components struct {
			Schemas map[string]specSchema `json:"schemas"`
		} `json:"components"`
	}
	testenv.SpecJSON(t, "openapi.json", &doc)
	return doc.Components.Schemas
}

// TestWireTypesMatchSpec checks that every schema of the spec has a Go
// type (or is a plain string or integer schema, inlined where used), that
// each object type has exactly the properties of its schema and that
// required properties are not omitempty.
func TestWireTypesMatchSpec(t *testing.T) {
	schemas := loadSchemas(t)
	inlined := map[string]bool{}
	for _, n := range inlinedSchemas {
		inlined[n] = true
	}
	for name, s := range schemas {
		v, typed := schemaTypes[name]
		switch {
		case inlined[name]:
			if typed || s.Type == "object" || len(s.Enum) > 0 {
				t.Errorf("%s: listed as inlined but is an object or enum schema", name)
			}
			continue
		case !typed:
			t.Errorf("%s: schema without a Go type", name)
			continue
		}
		typ := reflect.TypeOf(v)
		if len(s.Enum) > 0 {
			if typ.Kind() != reflect.String {
				t.Errorf("%s: enum schema but Go type %v is not a string type", name, typ)
			}
			continue
		}
		if typ.Kind() != reflect.Struct {
			t.Errorf("%s: object schema but Go type %v is not a struct", name, typ)
			continue
		}
		fields := map[string]bool{} // name -> omitempty
		for i := range typ.NumField() {
			tag := typ.Field(i).Tag.Get("json")
			if tag == "" || tag == "-" {
				continue
			}
			n, opts, _ := strings.Cut(tag, ",")
			fields[n] = strings.Contains(opts, "omitempty")
		}
		var want, got []string
		for p := range s.Properties {
			want = append(want, p)
		}
		for f := range fields {
			got = append(got, f)
		}
		sort.Strings(want)
		sort.Strings(got)
		if strings.Join(want, ",") != strings.Join(got, ",") {
			t.Errorf("%s: properties\n spec %v\n go   %v", name, want, got)
		}
		for _, r := range s.Required {
			if fields[r] {
				t.Errorf("%s.%s: required but omitempty", name, r)
			}
		}
	}
	for name := range schemaTypes {
		if _, ok := schemas[name]; !ok {
			t.Errorf("%s: Go type for a schema the spec does not have", name)
		}
	}
	if n := len(schemaTypes) + len(inlinedSchemas); n != len(schemas) {
		t.Errorf("%d Go types + %d inlined schemas, spec has %d schemas", len(schemaTypes), len(inlinedSchemas), len(schemas))
	}
}

// TestWireTypesDecodeSpecExamples decodes every schema example of the spec
// into its wire type, rejecting unknown fields.
func TestWireTypesDecodeSpecExamples(t *testing.T) {
	schemas := loadSchemas(t)
	n := 0
	for name, v := range schemaTypes {
		ex := schemas[name].Example
		if len(ex) == 0 {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(ex))
		dec.DisallowUnknownFields()
		p := reflect.New(reflect.TypeOf(v)).Interface()
		if err := dec.Decode(p); err != nil {
			t.Errorf("%s: example does not decode: %v\n%s", name, err, ex)
		}
		n++
	}
	n += decodeOperationExamples(t)
	if n < 15 {
		t.Errorf("only %d examples decoded", n)
	}
}

// decodeOperationExamples decodes the request and response examples of all
// operations whose schema is one of schemaTypes.
func decodeOperationExamples(t *testing.T) int {
	type media struct {
		Schema struct {
			Ref string `json:"$ref"`
		} `json:"schema"`
		Example  json.RawMessage `json:"example"`
		Examples map[string]struct {
			Value json.RawMessage `json:"value"`
		} `json:"examples"`
	}
	type op struct {
		RequestBody struct {
			Content map[string]media `json:"content"`
		} `json:"requestBody"`
		Responses map[string]struct {
			Content map[string]media `json:"content"`
		} `json:"responses"`
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	testenv.SpecJSON(t, "openapi.json", &doc)
	n := 0
	check := func(where string, m media) {
		name := m.Schema.Ref[strings.LastIndex(m.Schema.Ref, "/")+1:]
		v, ok := schemaTypes[name]
		if !ok {
			return
		}
		exs := []json.RawMessage{m.Example}
		for _, e := range m.Examples {
			exs = append(exs, e.Value)
		}
		for _, ex := range exs {
			if len(ex) == 0 {
				continue
			}
			dec := json.NewDecoder(bytes.NewReader(ex))
			dec.DisallowUnknownFields()
			if err := dec.Decode(reflect.New(reflect.TypeOf(v)).Interface()); err != nil {
				t.Errorf("%s (%s): example does not decode: %v\n%s", where, name, err, ex)
			}
			n++
		}
	}
	for path, ops := range doc.Paths {
		for method, rawOp := range ops {
			var o op
			if json.Unmarshal(rawOp, &o) != nil {
				continue
			}
			for _, m := range o.RequestBody.Content {
				check(method+" "+path+" request", m)
			}
			for code, r := range o.Responses {
				for _, m := range r.Content {
					check(method+" "+path+" "+code, m)
				}
			}
		}
	}
	return n
}
