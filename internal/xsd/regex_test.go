package xsd

import (
	"regexp"
	"strings"
	"testing"
)

func TestTranslateRegexp(t *testing.T) {
	tests := []struct {
		xsd      string
		match    []string
		nonMatch []string
	}{
		{`\d{2}`, []string{"12", "١٢"}, []string{"1", "123", "1a", "12\n"}},
		{`a|b`, []string{"a", "b"}, []string{"ab", ""}},
		{`^a$`, []string{"^a$"}, []string{"a"}},
		{`(.)+@(.)+`, []string{"a@b", "a b@c"}, []string{"a@", "a\n@b", "a@b\r"}},
		{`[^\s?#]*`, []string{"abc", ""}, []string{"a b", "a?", "a\tb"}},
		{`[a-zA-Z0-9-]+`, []string{"a-b"}, []string{"a_b"}},
		{`P[A-KM-Z]`, []string{"PA", "PM"}, []string{"PL"}},
		{`(\d|[A-Z]|\+|\*){1,12}`, []string{"AB+*12"}, []string{"ab", ""}},
		{`\p{Lu}\P{Lu}`, []string{"Aa", "Ą1"}, []string{"AA"}},
		{`a{2,}`, []string{"aa", "aaa"}, []string{"a"}},
		{`\s\S`, []string{" a"}, []string{"\fa", "  "}},
		{`[\-\[\]]`, []string{"-", "[", "]"}, []string{"a"}},
	}
	for _, tc := range tests {
		re, err := TranslateRegexp(tc.xsd)
		if err != nil {
			t.Errorf("%s: %v", tc.xsd, err)
			continue
		}
		r := regexp.MustCompile(re)
		for _, m := range tc.match {
			if !r.MatchString(m) {
				t.Errorf("%s (%s) should match %q", tc.xsd, re, m)
			}
		}
		for _, m := range tc.nonMatch {
			if r.MatchString(m) {
				t.Errorf("%s (%s) should not match %q", tc.xsd, re, m)
			}
		}
	}
}

func TestTranslateRegexpRejects(t *testing.T) {
	for _, x := range []string{`[a-z-[aeiou]]`, `\i\c*`, `\p{IsBasicLatin}`, `a**`, `(a`, `a)`, `[a`, `\q`, `*a`, `a{x}`, `\p{Foo}`} {
		if re, err := TranslateRegexp(x); err == nil {
			t.Errorf("%s translated to %s; want an error", x, re)
		} else if !strings.HasPrefix(err.Error(), "xsd: ") {
			t.Errorf("error %q lacks the package prefix", err)
		}
	}
}

// FuzzTranslateRegexp: the translator must not panic, and what it accepts
// must compile.
func FuzzTranslateRegexp(f *testing.F) {
	for _, s := range []string{`\d{2}`, `(.)+@(.)+`, `[^\s?#]*`, `[a-z-[aeiou]]`, `\p{Lu}`, `a{1,`, `((a|b)*c)?`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, x string) {
		re, err := TranslateRegexp(x)
		if err != nil {
			return
		}
		if _, err := regexp.Compile(re); err != nil {
			t.Fatalf("%q -> %q does not compile: %v", x, re, err)
		}
	})
}
