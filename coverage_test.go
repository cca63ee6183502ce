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
//   - TestWireTypesMatchSchemas checks that each exported struct of the
//     wire_*.go files named like a spec schema has exactly the schema's
//     JSON properties.

import (
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"testing"

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
	spec, err := contract.LoadDefault()
	if err != nil {
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
	cov := spec.ComputeCoverage(methods, ksefsim.New().Handled(), contract.Exercised())
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
	types, err := contract.ScanWireTypes(".")
	if err != nil {
		t.Fatal(err)
	}
	usage := spec.SchemaUsage()
	have := map[string]bool{}
	checked := 0
	var noSchema []string
	for _, wt := range types {
		asRequest := usage[wt.Name]&contract.InRequest != 0
		problems, ok := spec.CheckWireType(wt, asRequest)
		if !ok {
			noSchema = append(noSchema, wt.Name)
			continue
		}
		have[wt.Name] = true
		checked++
		if len(problems) > 0 {
			t.Errorf("%s (%s) does not match schema %s:\n\t%s", wt.Name, wt.Pos, wt.Name, strings.Join(problems, "\n\t"))
		}
	}
	wireTypesChecked = checked
	t.Logf("wire types checked: %d (of %d exported structs in wire_*.go)", checked, len(types))
	if len(noSchema) > 0 {
		t.Logf("structs in wire_*.go named like no object schema (not checked): %s", strings.Join(noSchema, ", "))
	}

	// Report, without failing, the object schemas that claimed operations
	// use and that have no wire type yet.
	methods, _, err := contract.ScanAPIMethods(".")
	if err != nil {
		t.Fatal(err)
	}
	claimed := map[string]bool{}
	for _, m := range methods {
		claimed[m.Op] = true
	}
	for _, op := range ksefsim.New().Handled() {
		claimed[op] = true
	}
	keys := make([]string, 0, len(claimed))
	for k := range claimed {
		keys = append(keys, k)
	}
	var missing []string
	if len(keys) > 0 {
		for name := range spec.SchemaUsage(keys...) {
			if _, _, isObject := spec.Properties(name); isObject && !have[name] {
				missing = append(missing, name)
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Logf("schemas used by claimed operations without a wire type (%d): %s", len(missing), strings.Join(missing, ", "))
	}
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
