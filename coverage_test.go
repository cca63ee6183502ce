package ksef_test

// This file holds the package's TestMain and the spec contract tests of the
// SDK (design.md §5 items 1-2):
//
//   - TestMain runs the tests, then prints "operations covered: N/83": the
//     spec operations that have an SDK method (a `// KSeF API: METHOD
//     /path` doc line in this package), a simulator handler
//     (ksefsim.Simulator.Handled) and a test that called it (an exchange
//     validated by internal/contract during this test binary's run, which
//     is why SDK-against-simulator tests live in package ksef_test and use
//     internal/simtest). On a full run it fails for every operation that is
//     claimed (SDK method or simulator handler) but incomplete; with -run,
//     -skip or -short it only prints.
//   - TestKSeFAPILines checks that each doc line names an operation of the
//     spec and that each operation is claimed by one function only.
//   - TestWireTypesMatchSchemas checks that the Go type of every object
//     schema of the spec (generated in wire_gen.go, listed in
//     wire_gen_test.go) has exactly the schema's JSON properties, of the
//     schema's JSON kinds.

import (
	"encoding"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/internal/contract"
	"github.com/ksef2/ksef/internal/testenv"
	"github.com/ksef2/ksef/ksefsim"
)

// wireTypesChecked and enumTypesChecked are set by the wire tests for the
// summary printed by TestMain (-1: the test did not run).
var wireTypesChecked, enumTypesChecked = -1, -1

func TestMain(m *testing.M) {
	code := m.Run()
	if c := reportCoverage(os.Stdout); code == 0 {
		code = c
	}
	os.Exit(code)
}

// partialRun reports why this run does not execute every test, or "".
func partialRun() string {
	for _, name := range []string{"test.run", "test.skip", "test.list", "test.fuzz"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" {
			return "-" + strings.TrimPrefix(name, "test.")
		}
	}
	if testing.Short() {
		return "-short"
	}
	return ""
}

// reportCoverage prints the coverage report and returns the exit code it
// demands (non-zero only on a full run with incomplete claimed operations).
func reportCoverage(w io.Writer) int {
	partial := partialRun()
	if partial == "-list" {
		return 0
	}
	if _, err := contract.LoadDefault(); err != nil {
		if _, statErr := os.Stat(testenv.SpecDirPath()); statErr != nil && !testenv.InCI() {
			fmt.Fprintf(w, "operations covered: skipped, KSeF spec not found at %s (set KSEF_SPEC_DIR)\n", testenv.SpecDirPath())
			return 0
		}
		fmt.Fprintf(w, "operations covered: %v\n", err)
		return 1
	}
	methods, problems, err := contract.ScanAPIMethods(".")
	if err != nil {
		fmt.Fprintf(w, "operations covered: %v\n", err)
		return 1
	}
	cov := contract.ComputeCoverage(tableOperations(), methods, ksefsim.New().Handled(), contract.Exercised())
	problems = append(problems, cov.Problems()...)
	if partial != "" {
		// Only the tests that ran fed the record: print the summary line
		// without the table and enforce nothing.
		fmt.Fprintf(w, "operations covered: %d/%d (partial run %s: %d problems not enforced)\n",
			cov.Covered(), len(cov.Operations), partial, len(problems))
		return 0
	}
	cov.WriteReport(w)
	if wireTypesChecked >= 0 {
		fmt.Fprintf(w, "wire types checked: %d, enum types checked: %d\n", wireTypesChecked, enumTypesChecked)
	}
	if len(problems) == 0 {
		return 0
	}
	fmt.Fprintln(w, "coverage problems (each claimed operation needs one SDK method, a simulator handler and a test):")
	for _, p := range problems {
		fmt.Fprintln(w, "  "+p)
	}
	fmt.Fprintln(w, "FAIL: coverage")
	return 1
}

// tableOperations returns the "METHOD /path" keys of the operation table.
func tableOperations() []string {
	var ops []string
	for _, o := range ksef.Operations() {
		ops = append(ops, o.String())
	}
	return ops
}

func TestKSeFAPILines(t *testing.T) {
	spec := contract.Default(t)
	methods, problems, err := contract.ScanAPIMethods(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
	funcs := map[string][]string{}
	for _, m := range methods {
		if _, ok := spec.Operation(m.Op); !ok {
			t.Errorf("%s: %s: \"KSeF API: %s\" is not an operation of the spec (method and path must match exactly)", m.Pos, m.Func, m.Op)
		}
		funcs[m.Op] = append(funcs[m.Op], m.Func+" ("+m.Pos+")")
	}
	for op, fs := range funcs {
		if len(fs) > 1 {
			t.Errorf("%s is claimed by %d functions, want exactly one: %s", op, len(fs), strings.Join(fs, ", "))
		}
	}
	t.Logf("%d KSeF API lines name %d operations", len(methods), len(funcs))
}

func TestWireTypesMatchSchemas(t *testing.T) {
	spec := contract.Default(t)
	usage := spec.SchemaUsage()
	checked := 0
	for _, name := range slices.Sorted(maps.Keys(schemaTypes)) {
		typ := reflect.TypeOf(schemaTypes[name])
		if typ.Kind() != reflect.Struct {
			continue
		}
		wt := reflectWireType(name, typ)
		asRequest := usage[name]&contract.InRequest != 0
		problems, ok := spec.CheckWireType(wt, asRequest)
		if !ok {
			t.Errorf("%s (Go type %v): no object schema of that name", name, typ)
			continue
		}
		checked++
		if len(problems) > 0 {
			t.Errorf("%v does not match schema %s:\n\t%s", typ, name, strings.Join(problems, "\n\t"))
		}
	}
	objects := 0
	for _, name := range spec.SchemaNames() {
		if _, _, isObject := spec.Properties(name); isObject {
			objects++
		}
	}
	if checked != objects {
		t.Errorf("checked %d wire types, the spec has %d object schemas", checked, objects)
	}
	wireTypesChecked = checked
	t.Logf("wire types checked: %d (every object schema of the spec)", checked)
}

// reflectWireType describes a Go struct as the contract checker sees wire
// types: its JSON properties with omitempty and the JSON kind each encodes
// to ("" for custom marshalers).
func reflectWireType(schema string, typ reflect.Type) contract.WireType {
	wt := contract.WireType{Name: schema, Pos: typ.String()}
	for i := range typ.NumField() {
		f := typ.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || !f.IsExported() {
			continue
		}
		n, opts, _ := strings.Cut(tag, ",")
		if n == "" {
			n = f.Name
		}
		wt.Fields = append(wt.Fields, contract.WireField{JSON: n, Go: f.Name,
			OmitEmpty: strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero"), Kind: jsonKind(f.Type)})
	}
	return wt
}

var (
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
)

// jsonKind returns the JSON kind a Go type encodes to.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeFor[time.Time]() {
		return "string"
	}
	if t.Implements(jsonMarshaler) || reflect.PointerTo(t).Implements(jsonMarshaler) ||
		t.Implements(textMarshaler) || reflect.PointerTo(t).Implements(textMarshaler) {
		return ""
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return "string"
		}
		return "array"
	case reflect.Map, reflect.Struct:
		return "object"
	}
	return ""
}

func TestWireEnumsMatchSchemas(t *testing.T) {
	spec := contract.Default(t)
	enums, err := contract.ScanWireEnums(".")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, e := range enums {
		problems, missing, ok := spec.CheckWireEnum(e)
		if !ok {
			continue
		}
		checked++
		if len(problems) > 0 {
			t.Errorf("%s (%s) does not match the enum of schema %s:\n\t%s", e.Name, e.Pos, e.Name, strings.Join(problems, "\n\t"))
		}
		if len(missing) > 0 {
			t.Logf("%s has no constant for: %s", e.Name, strings.Join(missing, ", "))
		}
	}
	enumTypesChecked = checked
	t.Logf("enum types checked: %d", checked)
}
