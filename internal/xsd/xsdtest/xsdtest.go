// Package xsdtest holds test helpers shared by the generated document
// packages (fa3, fa2, farr): sample loading with deterministic placeholder
// filling, the xmllint (libxml2) oracle run in one batch, and the
// differential comparison of verdicts.
package xsdtest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ksef2/ksef/internal/testenv"
	"github.com/ksef2/ksef/internal/xsd/mutate"
)

// placeholders maps the #name# placeholders of the sample templates to
// deterministic valid values.
var placeholders = map[string]string{
	"nip":             "5265877635",
	"nipOdbiorca":     "7773152434",
	"buyer_nip":       "7773152434",
	"selfInvocingNip": "9471957295",
	"invoice_number":  "000123",
	"invoicing_date":  "2025-10-01",
}

var placeholderRE = regexp.MustCompile(`#([A-Za-z_]+)#`)

// Fill replaces the #name# placeholders of a sample template. It fails the
// test on a placeholder it does not know.
func Fill(t testing.TB, doc []byte) []byte {
	t.Helper()
	var unknown []string
	out := placeholderRE.ReplaceAllFunc(doc, func(m []byte) []byte {
		name := string(m[1 : len(m)-1])
		v, ok := placeholders[name]
		if !ok {
			unknown = append(unknown, name)
			return m
		}
		return []byte(v)
	})
	if len(unknown) > 0 {
		t.Fatalf("unknown placeholders %v", unknown)
	}
	return out
}

// Case is one document of a differential run.
type Case struct {
	Name string
	Doc  []byte
	Desc string
	// Kinds are the mutations applied to a mutant (nil for samples).
	Kinds []mutate.Kind
}

// Samples returns the sample invoices under samples/invoices whose file
// names match one of the globs (templates filled), sorted by name.
func Samples(t testing.TB, globs ...string) []Case {
	t.Helper()
	dir := filepath.Join(testenv.SpecDir(t), "samples", "invoices")
	var out []Case
	for _, sub := range []string{"templates", "filled"} {
		for _, g := range globs {
			files, err := filepath.Glob(filepath.Join(dir, sub, g))
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range files {
				data, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, Case{Name: sub + "/" + filepath.Base(f), Doc: Fill(t, data), Desc: "sample"})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	if len(out) == 0 {
		t.Fatalf("no samples match %v", globs)
	}
	return out
}

// Mutants derives perSample mutants of each base document with seeds
// 0..perSample-1 (deterministic).
func Mutants(t testing.TB, bases []Case, perSample int) []Case {
	t.Helper()
	var out []Case
	for bi, b := range bases {
		for s := 0; s < perSample; s++ {
			m, err := mutate.Mutate(b.Doc, uint64(bi)<<32|uint64(s))
			if err != nil {
				t.Fatalf("%s: %v", b.Name, err)
			}
			out = append(out, Case{Name: fmt.Sprintf("%s#%d", b.Name, s), Doc: m.Doc, Desc: m.Desc, Kinds: m.Kinds})
		}
	}
	return out
}

// Verdict is the oracle's judgement of one case.
type Verdict struct {
	Valid  bool
	Output string
}

// Xmllint validates all cases with one xmllint invocation against the
// schema (relative to the spec directory, resolved offline through the
// catalog) and returns the verdicts and the time xmllint took.
func Xmllint(t testing.TB, schemaRel string, cases []Case) ([]Verdict, time.Duration) {
	t.Helper()
	spec := testenv.SpecDir(t)
	return XmllintSchema(t, filepath.Join(spec, filepath.FromSlash(schemaRel)), cases)
}

// XmllintSchema is [Xmllint] with the schema given by its path.
func XmllintSchema(t testing.TB, schemaPath string, cases []Case) ([]Verdict, time.Duration) {
	t.Helper()
	bin := testenv.RequireTool(t, "xmllint")
	spec := testenv.SpecDir(t)
	dir := t.TempDir()
	args := []string{"--noout", "--nonet", "--schema", schemaPath}
	names := make([]string, len(cases))
	for i, c := range cases {
		names[i] = fmt.Sprintf("c%05d.xml", i)
		if err := os.WriteFile(filepath.Join(dir, names[i]), c.Doc, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args = append(args, names...)
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "XML_CATALOG_FILES="+filepath.Join(spec, "xsd", "catalog.xml"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("xmllint: %v", err)
	}
	if strings.Contains(stderr.String(), "failed to compile") {
		t.Fatalf("xmllint could not compile the schema:\n%s", stderr.String())
	}
	out := make([]Verdict, len(cases))
	index := make(map[string]int, len(names))
	for i, n := range names {
		index[n] = i
	}
	for _, line := range strings.Split(stderr.String(), "\n") {
		name, _, _ := strings.Cut(line, ":")
		if i, ok := index[name]; ok {
			out[i].Output += line + "\n"
		}
		if n, ok := strings.CutSuffix(line, " validates"); ok {
			if i, ok := index[n]; ok {
				out[i].Valid = true
			}
		}
	}
	return out, took
}

// Differential compares validate with xmllint on every case and reports
// each disagreement. It returns the number of agreeing cases and of cases
// xmllint judged valid.
func Differential(t testing.TB, schemaRel string, validate func([]byte) error, cases []Case) (agree, valid int) {
	t.Helper()
	return DifferentialSchema(t, filepath.Join(testenv.SpecDir(t), filepath.FromSlash(schemaRel)), validate, cases)
}

// DifferentialSchema is [Differential] with the schema given by its path.
func DifferentialSchema(t testing.TB, schemaPath string, validate func([]byte) error, cases []Case) (agree, valid int) {
	t.Helper()
	verdicts, _ := XmllintSchema(t, schemaPath, cases)
	for i, c := range cases {
		err := validate(c.Doc)
		ours := err == nil
		if verdicts[i].Valid {
			valid++
		}
		if ours == verdicts[i].Valid {
			agree++
			continue
		}
		t.Errorf("%s (%s): ours valid=%v, xmllint valid=%v\nours: %v\nxmllint: %s", c.Name, c.Desc, ours, verdicts[i].Valid, err, verdicts[i].Output)
	}
	return agree, valid
}

// ReportKinds logs, for every kind of mutation, how many mutants it went
// into and how many of those validate judged invalid, and fails the test
// when a kind is missing or never produced an invalid document (so every
// kind listed in mutate.Kinds is really exercised). Run it after
// [Differential], which establishes that the verdicts agree with xmllint.
func ReportKinds(t testing.TB, validate func([]byte) error, cases []Case) {
	t.Helper()
	total := map[mutate.Kind]int{}
	invalid := map[mutate.Kind]int{}
	for _, c := range cases {
		bad := validate(c.Doc) != nil
		seen := map[mutate.Kind]bool{}
		for _, k := range c.Kinds {
			if seen[k] {
				continue
			}
			seen[k] = true
			total[k]++
			if bad {
				invalid[k]++
			}
		}
	}
	var b strings.Builder
	for _, k := range mutate.Kinds {
		fmt.Fprintf(&b, " %s %d/%d", k, invalid[k], total[k])
		if total[k] == 0 || invalid[k] == 0 {
			t.Errorf("mutation kind %q: %d mutants, %d invalid", k, total[k], invalid[k])
		}
	}
	t.Logf("mutation kinds (invalid/total):%s", b.String())
}
