package ksef_test

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/ident"
	"github.com/ksef2/ksef/internal/apigen"
	"github.com/ksef2/ksef/internal/contract"
	"github.com/ksef2/ksef/internal/testenv"
	"github.com/ksef2/ksef/ksefsim"
)

// TestGeneratedFilesUpToDate regenerates the generated files in memory and
// fails when the checked-in ones differ (run go generate in the root).
func TestGeneratedFilesUpToDate(t *testing.T) {
	files, err := apigen.Generate(testenv.SpecDir(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range apigen.Files {
		got, err := os.ReadFile(name)
		if err != nil {
			t.Fatalf("%s: %v (run go generate)", name, err)
		}
		if !bytes.Equal(got, files[name]) {
			t.Errorf("%s differs from the generator's output; run go generate in the repository root", name)
		}
	}
}

// TestOperationTableAgreement proves that the consumers of the operation
// table agree with it and with the spec: the table holds exactly the
// spec's operations (and is the operation list of the coverage report),
// every simulator route is an operation of the table, and each operation's
// group has the pacer's default limits equal to the spec's x-rate-limits.
func TestOperationTableAgreement(t *testing.T) {
	spec := contract.Default(t)
	var specOps []string
	for _, o := range spec.Operations() {
		specOps = append(specOps, o.Key())
	}
	slices.Sort(specOps)
	table := tableOperations()
	sorted := slices.Sorted(slices.Values(table))
	if !slices.Equal(sorted, specOps) {
		t.Errorf("operation table %d operations, spec %d; they differ", len(table), len(specOps))
	}
	if len(table) != 83 {
		t.Errorf("table has %d operations, want 83", len(table))
	}
	if cov := contract.ComputeCoverage(table, nil, nil, nil); len(cov.Operations) != len(specOps) {
		t.Errorf("coverage report lists %d operations", len(cov.Operations))
	}
	defaults := ksef.DefaultRateLimits()
	for _, o := range ksef.Operations() {
		info := o.Info()
		if got, ok := ksef.LookupOperation(info.Method, info.Path); !ok || got != o {
			t.Errorf("%v: LookupOperation gives %v", o, got)
		}
		if l, ok := defaults[info.Group]; !ok || l != info.SpecLimit {
			t.Errorf("%v: group %s has default limits %+v, the spec says %+v", o, info.Group, l, info.SpecLimit)
		}
		if info.Method == "GET" && !info.RetrySafe {
			t.Errorf("%v: a read not marked safe to repeat", o)
		}
		if info.Status < 200 || info.Status > 299 {
			t.Errorf("%v: success status %d", o, info.Status)
		}
	}
	sim := ksefsim.New()
	for _, h := range sim.Handled() {
		method, path, _ := strings.Cut(h, " ")
		if _, ok := ksef.LookupOperation(method, path); !ok {
			t.Errorf("simulator route %s is not an operation of the table", h)
		}
	}
}

// TestIdentifierTypeAliases checks that every value of every
// identifier-type enum of the spec is a constant of package ident, since
// those enums are generated as aliases of ident.Type without constants of
// their own.
func TestIdentifierTypeAliases(t *testing.T) {
	known := map[ident.Type]bool{}
	for _, v := range []ident.Type{ident.TypeNip, ident.TypePesel, ident.TypeFingerprint, ident.TypeInternalID,
		ident.TypeNipVatUe, ident.TypePeppolID, ident.TypeVatUe, ident.TypeOther, ident.TypeNone,
		ident.TypeAllPartners, ident.TypeSystem} {
		known[v] = true
	}
	schemas := loadSchemas(t)
	n := 0
	for name, s := range schemas {
		if !strings.HasSuffix(name, "IdentifierType") || len(s.Enum) == 0 {
			continue
		}
		n++
		if _, ok := schemaTypes[name].(ident.Type); !ok {
			t.Errorf("%s: Go type %T, want an alias of ident.Type", name, schemaTypes[name])
		}
		for _, v := range s.Enum {
			if !known[ident.Type(v)] {
				t.Errorf("%s: value %q has no constant in package ident", name, v)
			}
		}
	}
	if n == 0 {
		t.Error("no identifier-type schemas found")
	}
	t.Logf("%d identifier-type enums are ident.Type", n)
}
