package fa2

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"testing/iotest"
)

// TestViolationPosition: Validate, fed one byte at a time, reports a
// broken seller NIP with its line, column, element path and a message,
// and refuses a byte order mark before the schema is looked at.
func TestViolationPosition(t *testing.T) {
	doc := form.Cases(t)[0].Doc
	i := bytes.Index(doc, []byte("<Podmiot1>"))
	j := bytes.Index(doc[i:], []byte("<NIP>"))
	if i < 0 || j < 0 {
		t.Fatal("sample has no Podmiot1 NIP")
	}
	at := i + j
	k := bytes.Index(doc[at:], []byte("</NIP>"))
	bad := append(append(append([]byte(nil), doc[:at]...), "<NIP>12345</NIP>"...), doc[at+k+len("</NIP>"):]...)
	err := Validate(iotest.OneByteReader(bytes.NewReader(bad)))
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Violations) != 1 {
		t.Fatalf("err = %v", err)
	}
	v := ve.Violations[0]
	line := bytes.Count(bad[:at], []byte("\n")) + 1
	col := at - bytes.LastIndexByte(bad[:at], '\n')
	if v.Line != line || v.Column != col || v.Path != "/Faktura/Podmiot1/DaneIdentyfikacyjne/NIP" ||
		!strings.Contains(v.Message, `"12345"`) {
		t.Errorf("violation %+v, want line %d column %d", v, line, col)
	}
	err = ValidateBytes(append([]byte("\xEF\xBB\xBF"), doc...))
	if !errors.As(err, &ve) || !strings.Contains(ve.Violations[0].Message, "byte order mark") {
		t.Errorf("BOM: %v", err)
	}
}
