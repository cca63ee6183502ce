package testenv

import "testing"

// SkipShort skips a slow oracle loop (a differential test over many inputs
// against xmllint, openssl, zbarimg, pdftotext and the like) under
// "go test -short", with a message naming what was skipped. The full suite
// (scripts/test.sh, or go test without -short) runs it.
func SkipShort(t testing.TB, what string) {
	t.Helper()
	if testing.Short() {
		t.Skipf("skipped under -short: %s (the full suite runs it)", what)
	}
}
