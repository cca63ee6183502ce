package testenv

import (
	"bytes"
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// Output runs cmd and returns its standard output. When the program fails,
// the error carries the exit status followed by the program's standard
// error, so that a test can print why an oracle refused its input.
func Output(cmd *exec.Cmd) ([]byte, error) {
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, errors.New(err.Error() + ": " + stderr.String())
	}
	return out, nil
}

// Zbarimg decodes the QR codes of an image file with zbarimg, an
// independent decoder, and returns the text of the codes it found, one a
// line, without the final newline. zbarimg exits with an error (status 4)
// when the image holds no code. A missing zbarimg is handled as by
// [RequireTool].
func Zbarimg(t testing.TB, file string) (string, error) {
	t.Helper()
	out, err := exec.Command(RequireTool(t, "zbarimg"), "--raw", "-q", file).Output()
	return strings.TrimSuffix(string(out), "\n"), err
}
