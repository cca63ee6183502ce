package fa3

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func baseInvoice(t *testing.T) []byte {
	t.Helper()
	for _, c := range fa3Samples(t) {
		if strings.HasSuffix(c.Name, "invoice-template-fa-3.xml") {
			return c.Doc
		}
	}
	t.Fatal("sample missing")
	return nil
}

func violations(t *testing.T, doc []byte) []Violation {
	t.Helper()
	err := ValidateBytes(doc)
	if err == nil {
		return nil
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("not a ValidationError: %v", err)
	}
	return ve.Violations
}

func wantViolation(t *testing.T, doc []byte, substr string) Violation {
	t.Helper()
	vs := violations(t, doc)
	for _, v := range vs {
		if strings.Contains(v.String(), substr) {
			return v
		}
	}
	t.Fatalf("no violation containing %q; got %v", substr, vs)
	return Violation{}
}

func TestAcceptanceRules(t *testing.T) {
	doc := baseInvoice(t)
	if vs := violations(t, doc); vs != nil {
		t.Fatalf("base invoice invalid: %v", vs)
	}
	t.Run("BOM", func(t *testing.T) {
		v := wantViolation(t, append([]byte("\xEF\xBB\xBF"), doc...), "byte order mark")
		if v.Line != 1 || v.Column != 1 {
			t.Errorf("position %d:%d", v.Line, v.Column)
		}
		if len(violations(t, append([]byte("\xEF\xBB\xBF"), doc...))) != 1 {
			t.Error("BOM should be the only violation")
		}
	})
	t.Run("other encoding", func(t *testing.T) {
		d := bytes.Replace(doc, []byte(`encoding="UTF-8"`), []byte(`encoding="windows-1250"`), 1)
		wantViolation(t, d, `encoding "windows-1250"`)
		d = bytes.Replace(doc, []byte(`encoding="UTF-8"`), []byte(`encoding="utf-8"`), 1)
		if vs := violations(t, d); vs != nil {
			t.Errorf("lower-case utf-8 rejected: %v", vs)
		}
	})
	t.Run("processing instruction", func(t *testing.T) {
		d := bytes.Replace(doc, []byte("<Naglowek>"), []byte("<?xml-stylesheet href=\"a.xsl\"?><Naglowek>"), 1)
		wantViolation(t, d, "processing instruction <?xml-stylesheet?>")
	})
	t.Run("discouraged characters", func(t *testing.T) {
		for _, r := range []rune{0x7F, 0x84, 0x86, 0x9F, 0xFDD0, 0xFDEF, 0x1FFFE, 0x10FFFF} {
			d := bytes.Replace(doc, []byte("Elektrownia S.A."), []byte("Elektrownia "+string(r)), 1)
			v := wantViolation(t, d, "discouraged character")
			want := bytes.Count(d[:bytes.Index(d, []byte("Elektrownia "))], []byte("\n")) + 1
			if v.Line != want {
				t.Errorf("U+%04X reported at line %d, want %d", r, v.Line, want)
			}
		}
		// Character references count too.
		for _, ref := range []string{"&#x7F;", "&#132;", "&#xFDD0;", "&#x1FFFF;"} {
			d := bytes.Replace(doc, []byte("Elektrownia S.A."), []byte("Elektrownia "+ref), 1)
			wantViolation(t, d, "(character reference)")
		}
		// U+0085 (NEL) and U+FDF0 are allowed.
		for _, r := range []rune{0x85, 0xFDF0, 0xFFFD} {
			d := bytes.Replace(doc, []byte("Elektrownia S.A."), []byte("Elektrownia "+string(r)), 1)
			for _, v := range violations(t, d) {
				if strings.Contains(v.Message, "discouraged") {
					t.Errorf("U+%04X flagged: %v", r, v)
				}
			}
		}
	})
	t.Run("invalid UTF-8", func(t *testing.T) {
		d := bytes.Replace(doc, []byte("Elektrownia S.A."), []byte("Elektrownia \xC5"), 1)
		wantViolation(t, d, "not valid UTF-8")
	})
	t.Run("size limits", func(t *testing.T) {
		big := largeInvoice(t, fa3Samples(t))
		pad := bytes.Repeat([]byte(" "), MaxSize-len(big)+1)
		d := bytes.Replace(big, []byte("</Faktura>"), append(pad, "</Faktura>"...), 1)
		wantViolation(t, d, "exceeds the limit of 1000000 bytes")
		d = bytes.Replace(big, []byte("</Faktura>"), append(pad[:len(pad)-1], "</Faktura>"...), 1)
		if len(d) != MaxSize {
			t.Fatalf("size %d", len(d))
		}
		if vs := violations(t, d); vs != nil {
			t.Errorf("invoice of exactly %d bytes rejected: %v", MaxSize, vs)
		}
		// Far beyond every limit, reading stops.
		huge := bytes.Replace(big, []byte("</Faktura>"), append(bytes.Repeat([]byte(" "), 3*MaxSizeWithAttachment), "</Faktura>"...), 1)
		wantViolation(t, huge, "exceeds 3000000 bytes; validation stopped")
	})
}

func TestViolationMessages(t *testing.T) {
	doc := baseInvoice(t)
	d := bytes.Replace(doc, []byte("<P_2>FA/GRQMB-000123/05/2025</P_2>"), []byte("<P_2></P_2>"), 1)
	v := wantViolation(t, d, "/Faktura/Fa/P_2")
	if got := v.String(); !strings.Contains(got, `value "" is shorter than minLength 1`) || !strings.HasPrefix(got, "line ") {
		t.Errorf("message %q", got)
	}
	if v.Line != 47 || v.Column != 3 {
		t.Errorf("position %d:%d, want 47:3", v.Line, v.Column)
	}
	// Several violations are all reported, in document order.
	d = bytes.Replace(d, []byte("<KodWaluty>PLN</KodWaluty>"), []byte("<KodWaluty>ZZZ</KodWaluty>"), 1)
	d = bytes.Replace(d, []byte("<P_1>2025-09-01</P_1>"), []byte("<P_1>2025-02-30</P_1>"), 1)
	vs := violations(t, d)
	if len(vs) != 3 {
		t.Fatalf("got %d violations: %v", len(vs), vs)
	}
	for i, want := range []string{"/Faktura/Fa/KodWaluty", "/Faktura/Fa/P_1: value \"2025-02-30\" is not a valid date", "/Faktura/Fa/P_2"} {
		if !strings.Contains(vs[i].String(), want) {
			t.Errorf("violation %d = %q, want %q", i, vs[i], want)
		}
	}
	// Structure: a missing required element and an unknown one.
	d = bytes.Replace(doc, []byte("<P_1>2025-09-01</P_1>"), nil, 1)
	wantViolation(t, d, "unexpected element {"+Namespace+"}P_1M; expected P_1")
	d = bytes.Replace(doc, []byte("<Stopka>"), []byte("<Nieznany/><Stopka>"), 1)
	wantViolation(t, d, "unexpected element {"+Namespace+"}Nieznany")
	d = bytes.Replace(doc, []byte("<NrWierszaFa>2</NrWierszaFa>"), []byte("<NrWierszaFa>x</NrWierszaFa>"), 1)
	wantViolation(t, d, "/Faktura/Fa/FaWiersz[2]/NrWierszaFa: value \"x\" is not a valid integer")
	if !strings.HasPrefix(ValidateBytes(d).Error(), "fa3: document is invalid") {
		t.Errorf("error string %q", ValidateBytes(d).Error())
	}
}

// TestAttachmentSizeLimit: an invoice with Zalacznik may reach 3 MB, one
// without it only 1 MB, wherever the padding is.
func TestAttachmentSizeLimit(t *testing.T) {
	var doc []byte
	for _, c := range fa3Samples(t) {
		if strings.HasSuffix(c.Name, "invoice-template-fa-3-with-attachment.xml") {
			doc = c.Doc
		}
	}
	if doc == nil || ValidateBytes(doc) != nil {
		t.Fatal("sample with attachment missing or invalid")
	}
	i, j := bytes.Index(doc, []byte("<Zalacznik>")), bytes.Index(doc, []byte("</Zalacznik>"))
	if i < 0 || j < 0 {
		t.Fatal("no Zalacznik in the sample")
	}
	without := append(append([]byte(nil), doc[:i]...), doc[j+len("</Zalacznik>"):]...)
	if err := ValidateBytes(without); err != nil {
		t.Fatalf("sample without Zalacznik: %v", err)
	}
	// pad inserts white space before the root's end tag (after Zalacznik)
	// or at the root's start (before it) so that the document has size n.
	pad := func(d []byte, n int, front bool) []byte {
		ws := bytes.Repeat([]byte("\n"), n-len(d))
		if front {
			k := bytes.Index(d, []byte("<Naglowek>"))
			return append(append(append([]byte(nil), d[:k]...), ws...), d[k:]...)
		}
		k := bytes.LastIndex(d, []byte("</Faktura>"))
		return append(append(append([]byte(nil), d[:k]...), ws...), d[k:]...)
	}
	for _, front := range []bool{true, false} {
		if err := ValidateBytes(pad(doc, MaxSizeWithAttachment, front)); err != nil {
			t.Errorf("with attachment, %d bytes (padding first %v): %v", MaxSizeWithAttachment, front, err)
		}
		wantViolation(t, pad(doc, MaxSizeWithAttachment+1, front), "exceeds 3000000 bytes")
		wantViolation(t, pad(without, 2_000_000, front), "exceeds the limit of 1000000 bytes")
		if err := ValidateBytes(pad(without, MaxSize, front)); err != nil {
			t.Errorf("without attachment, %d bytes: %v", MaxSize, err)
		}
	}
}
