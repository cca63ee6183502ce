package mcpcmd

import (
	"reflect"
	"slices"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/ksef2/ksef/fa3"
)

// inputSchema infers the input schema of T as the SDK would, with decimals
// of package fa3 accepted as strings or numbers (the builder reads both and
// keeps the digits), and the properties named in optional (property name of
// the input -> its fields) made optional because the server fills them in.
func inputSchema[T any](optional map[string][]string) *jsonschema.Schema {
	s, err := jsonschema.For[T](&jsonschema.ForOptions{TypeSchemas: map[reflect.Type]*jsonschema.Schema{
		reflect.TypeFor[fa3.Decimal](): {Types: []string{"string", "number"}},
	}})
	if err != nil {
		panic(err) // a programming error: the input types are fixed
	}
	for prop, fields := range optional {
		p := s.Properties[prop]
		if p == nil {
			panic("mcpcmd: no property " + prop)
		}
		p.Required = slices.DeleteFunc(p.Required, func(f string) bool { return slices.Contains(fields, f) })
	}
	return s
}
