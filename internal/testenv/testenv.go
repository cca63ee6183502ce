// Package testenv locates the shared KSeF specification files and the
// external oracle programs (xmlsec1, xmllint, openssl, zbarimg, pdftotext)
// that the tests of this module use.
//
// Under CI=true a missing spec directory or oracle is a test failure; on a
// developer machine the test is skipped with a message naming what to install.
package testenv

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// InCI reports whether the tests run under continuous integration (CI=true).
func InCI() bool {
	v := os.Getenv("CI")
	return v == "true" || v == "1"
}

// ModuleRoot returns the directory holding this module's go.mod.
func ModuleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// SpecDirPath returns the KSeF spec directory: $KSEF_SPEC_DIR when set,
// otherwise ../shared/spec next to the module root. It does not check that
// the directory exists.
func SpecDirPath() string {
	if d := os.Getenv("KSEF_SPEC_DIR"); d != "" {
		return d
	}
	return filepath.Join(ModuleRoot(), "..", "shared", "spec")
}

// SpecDir returns the KSeF spec directory (see [SpecDirPath]) and fails the
// test under CI, or skips it elsewhere, when the directory is missing.
func SpecDir(t testing.TB) string {
	t.Helper()
	d := SpecDirPath()
	if _, err := os.Stat(filepath.Join(d, "openapi.json")); err != nil {
		unavailable(t, "KSeF spec directory not found at "+d+" (set KSEF_SPEC_DIR)")
	}
	return d
}

// SpecFile returns the path of a file below the spec directory, with the
// same failure rules as [SpecDir].
func SpecFile(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(SpecDir(t), filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		unavailable(t, "spec file missing: "+p)
	}
	return p
}

// debianPackage names the Debian package that provides each oracle.
var debianPackage = map[string]string{
	"xmlsec1":   "xmlsec1",
	"xmllint":   "libxml2-utils",
	"openssl":   "openssl",
	"zbarimg":   "zbar-tools",
	"pdftotext": "poppler-utils",
	"pdftoppm":  "poppler-utils",
	"psql":      "postgresql-client",
	"pg_ctl":    "postgresql",
	"initdb":    "postgresql",
}

// RequireTool returns the path of an external program. When it is missing
// the test fails under CI and is skipped elsewhere.
func RequireTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		pkg := debianPackage[name]
		if pkg == "" {
			pkg = name
		}
		unavailable(t, name+" not found on PATH (apt-get install "+pkg+")")
	}
	return p
}

func unavailable(t testing.TB, msg string) {
	t.Helper()
	if InCI() {
		t.Fatalf("required under CI: %s", msg)
	}
	t.Skip(msg)
}

// SpecJSON decodes the JSON file rel below the spec directory (for example
// "openapi.json") into v, with the failure rules of [SpecFile]; a file that
// cannot be read or decoded fails the test.
func SpecJSON(t testing.TB, rel string, v any) {
	t.Helper()
	raw, err := os.ReadFile(SpecFile(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
}

// PostgresDSN returns the connection string of the PostgreSQL server the
// tests may use ($KSEF_TEST_POSTGRES, for example
// "postgres://postgres:postgres@127.0.0.1:5432/ksef_test"). When it is not
// set the test fails under CI (scripts/test.sh starts a server and sets it)
// and is skipped elsewhere.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("KSEF_TEST_POSTGRES")
	if dsn == "" {
		unavailable(t, "KSEF_TEST_POSTGRES not set (a PostgreSQL server: apt-get install postgresql; scripts/test.sh starts one)")
	}
	return dsn
}
