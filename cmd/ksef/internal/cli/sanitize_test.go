package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

func TestSanitize(t *testing.T) {
	for in, want := range map[string]string{
		"plain text, zażółć gęślą jaźń":   "plain text, zażółć gęślą jaźń",
		"two\nlines\tand a tab":           "two\nlines\tand a tab",
		"\x1b]0;evil\x07\x1b[2J login OK": `\x1b]0;evil\x07\x1b[2J login OK`,
		"over\rwrite":                     `over\rwrite`,
		"del\x7f nul\x00":                 `del\x7f nul\x00`,
		"c1 \u009b2J csi":                 `c1 \u009b2J csi`,
		"bidi \u202egnp.exe":              `bidi \u202egnp.exe`,
		"isolate \u2066x\u2069":           `isolate \u2066x\u2069`,
		"bad utf-8 \xff\xfe":              `bad utf-8 \xff\xfe`,
	} {
		if got := Sanitize(in); got != want {
			t.Errorf("Sanitize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestErrorMessageSanitized(t *testing.T) {
	msg := ErrorMessage(errors.New("ksef: HTTP 400: \x1b]0;evil\x07\x1b[2J login OK"))
	if strings.ContainsAny(msg, "\x1b\x07") || !strings.Contains(msg, `\x1b]0;evil\x07\x1b[2J login OK`) {
		t.Errorf("ErrorMessage = %q", msg)
	}
}

func TestEmitSanitized(t *testing.T) {
	v := map[string]string{"description": "\x1b[2J\u009b\u202e login OK"}
	for _, output := range []string{"text", "json"} {
		var out strings.Builder
		f := &Factory{Stdout: &out, Flags: GlobalFlags{Output: output}}
		if err := f.Emit(v, func(w io.Writer) { fmt.Fprintln(w, v["description"]) }); err != nil {
			t.Fatal(err)
		}
		got := out.String()
		if strings.ContainsAny(got, "\x1b\u009b\u202e") {
			t.Errorf("-o %s: raw control characters in %q", output, got)
		}
		if output == "json" {
			var back map[string]string
			if err := json.Unmarshal([]byte(got), &back); err != nil || back["description"] != v["description"] {
				t.Errorf("-o json: %q does not decode to the same text: %v", got, err)
			}
		}
	}
}
