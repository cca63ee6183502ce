package rt

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Violation is one problem found in a document.
type Violation struct {
	// Line and Column (1-based, column in bytes) locate the problem.
	Line, Column int
	// Path is the element path ("/Faktura/Fa/FaWiersz[2]/P_7"), or "" for
	// document-level problems.
	Path string
	// Message says what is wrong, in English.
	Message string
}

// String formats the violation as "line 12, col 5: /Faktura/Fa/P_2: message".
func (v Violation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "line %d, col %d: ", v.Line, v.Column)
	if v.Path != "" {
		b.WriteString(v.Path)
		b.WriteString(": ")
	}
	b.WriteString(v.Message)
	return b.String()
}

// ValidationError is returned when a document has violations. It lists
// every violation found (up to [MaxViolations]).
type ValidationError struct {
	// Package is the prefix of the error string ("fa3").
	Package    string
	Violations []Violation
	// Truncated is set when more than MaxViolations were found.
	Truncated bool
}

// MaxViolations bounds the number of violations collected per document.
const MaxViolations = 1000

// Error summarises the violations, one per line.
func (e *ValidationError) Error() string {
	var b strings.Builder
	n := len(e.Violations)
	fmt.Fprintf(&b, "%s: document is invalid (%d violation", e.Package, n)
	if n != 1 {
		b.WriteByte('s')
	}
	if e.Truncated {
		b.WriteString(", truncated")
	}
	b.WriteString(")")
	for _, v := range e.Violations {
		b.WriteString("\n")
		b.WriteString(v.String())
	}
	return b.String()
}

const (
	nsXSI   = "http://www.w3.org/2001/XMLSchema-instance"
	nsXML   = "http://www.w3.org/XML/1998/namespace"
	nsXMLNS = "http://www.w3.org/2000/xmlns/"
)

type openElem struct {
	decl      *Element
	ctype     *ComplexType
	stype     *SimpleType
	m         *matcher
	text      strings.Builder
	hasChild  bool
	textError bool
	skip      bool
	seg       string
	local, ns string
	prefix    string
	line, col int
	// scope is the innermost namespace scope (shared with ancestors that
	// declare nothing new).
	scope  *nsScope
	counts []childCount
}

// nsScope is one element's namespace declarations, chained to the
// enclosing declarations.
type nsScope struct {
	decl   map[string]string
	parent *nsScope
}

type childCount struct {
	name string
	n    int
}

type validator struct {
	s          *Schema
	err        ValidationError
	scan       *scanReader
	lex        *lexer
	stack      []*openElem
	rootSeen   bool
	rootClosed bool
	attachment bool
	tokens     int
}

func (v *validator) add(line, col int, path, format string, args ...any) {
	if len(v.err.Violations) >= MaxViolations {
		v.err.Truncated = true
		return
	}
	line, col = max(line, 1), max(col, 1)
	v.err.Violations = append(v.err.Violations, Violation{Line: line, Column: col, Path: path, Message: fmt.Sprintf(format, args...)})
}

// Validate reads a document from r and checks it against the schema and
// the KSeF acceptance rules (UTF-8 without BOM, no other declared encoding,
// no processing instructions, no discouraged Unicode code points, size
// limits). It returns a *ValidationError listing every violation, another
// error when reading fails, or nil when the document is valid.
func (s *Schema) Validate(r io.Reader) error {
	v := &validator{s: s, err: ValidationError{Package: s.Package}}
	v.scan = &scanReader{r: r, v: v, line: 1, col: 1, hardLimit: max(s.Limits.MaxBytes, s.Limits.MaxBytesWithAttachment)}
	v.lex = newLexer(v.scan)
	v.lex.onDiscouraged = func(line, col int, r rune) {
		v.add(line, col, v.path(), "discouraged character U+%04X (character reference)", r)
	}
	err := v.run()
	v.lex.release()
	v.lex = nil
	if err != nil {
		return err
	}
	if !v.scan.tooLarge {
		v.checkSize()
	}
	if len(v.err.Violations) > 0 {
		e := v.err
		return &e
	}
	return nil
}

// declRegexps are the patterns of the XML declaration, compiled on first
// use (start-up time of programs that never validate).
var declRegexps = sync.OnceValues(func() (encodingRE, xmlDeclRE *regexp.Regexp) {
	return regexp.MustCompile(`encoding\s*=\s*["']([^"']*)["']`),
		regexp.MustCompile(`^[ \t\r\n]*version[ \t\r\n]*=[ \t\r\n]*("1\.[0-9]+"|'1\.[0-9]+')` +
			`([ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*("[A-Za-z][A-Za-z0-9._-]*"|'[A-Za-z][A-Za-z0-9._-]*'))?` +
			`([ \t\r\n]+standalone[ \t\r\n]*=[ \t\r\n]*("(yes|no)"|'(yes|no)'))?[ \t\r\n]*$`)
})

func (v *validator) run() error {
	for {
		t, werr := v.lex.next()
		if werr != nil {
			if v.scan.tooLarge {
				v.add(v.scan.line, v.scan.col, "", "document exceeds %d bytes; validation stopped", v.scan.hardLimit)
				return nil
			}
			if v.scan.readErr != nil {
				return fmt.Errorf("%s: reading document: %w", v.s.Package, v.scan.readErr)
			}
			v.add(werr.line, werr.col, v.path(), "document is not well-formed XML: %s", werr.msg)
			return nil
		}
		if t.kind == tokEOF {
			if v.scan.tooLarge {
				v.add(v.scan.line, v.scan.col, "", "document exceeds %d bytes; validation stopped", v.scan.hardLimit)
				return nil
			}
			if v.scan.readErr != nil {
				return fmt.Errorf("%s: reading document: %w", v.s.Package, v.scan.readErr)
			}
			break
		}
		v.tokens++
		line, col := t.line, t.col
		switch t.kind {
		case tokStart:
			if !v.start(t, line, col) {
				return nil
			}
			if t.selfClose && !v.end(t.prefix, t.local, v.lex.line, v.lex.col) {
				return nil
			}
		case tokEnd:
			if !v.end(t.prefix, t.local, line, col) {
				return nil
			}
		case tokText:
			if t.cdata && len(v.stack) == 0 {
				v.add(line, col, "", "document is not well-formed XML: CDATA section outside the root element")
				return nil
			}
			v.chars(t.text, line, col)
		case tokPI:
			if t.local == "xml" && v.tokens == 1 {
				encodingRE, xmlDeclRE := declRegexps()
				if m := xmlDeclRE.FindSubmatch(t.text); m == nil {
					v.add(line, col, "", "document is not well-formed XML: malformed XML declaration")
				} else if string(m[1][1:len(m[1])-1]) != "1.0" {
					v.add(line, col, "", "the XML declaration declares version %s; only XML 1.0 is accepted", m[1])
				}
				if m := encodingRE.FindSubmatch(t.text); m != nil && !strings.EqualFold(string(m[1]), "UTF-8") {
					v.add(line, col, "", "the XML declaration declares encoding %q; only UTF-8 is accepted", m[1])
				}
				continue
			}
			v.add(line, col, v.path(), "processing instruction <?%s?> is not allowed", t.local)
		case tokDirective:
			if v.rootSeen {
				v.add(line, col, "", "document is not well-formed XML: DOCTYPE after the root element")
				return nil
			}
			v.add(line, col, "", "document type declarations are not allowed")
		}
	}
	if !v.rootSeen {
		v.add(v.lex.line, v.lex.col, "", "document has no root element")
	} else if len(v.stack) > 0 {
		v.add(v.lex.line, v.lex.col, v.path(), "document is not well-formed XML: unexpected end of input, element <%s> is not closed", v.stack[len(v.stack)-1].local)
	}
	return nil
}

func (v *validator) checkSize() {
	n := v.scan.n
	lim := v.s.Limits
	if lim.MaxBytesWithAttachment > 0 && n > lim.MaxBytesWithAttachment {
		v.add(v.scan.line, v.scan.col, "", "document size %d bytes exceeds the limit of %d bytes for invoices with attachments", n, lim.MaxBytesWithAttachment)
		return
	}
	if lim.MaxBytes > 0 && n > lim.MaxBytes && !v.attachment {
		v.add(v.scan.line, v.scan.col, "", "document size %d bytes exceeds the limit of %d bytes for invoices without attachments", n, lim.MaxBytes)
	}
}

// path returns the element path of the innermost open element.
func (v *validator) path() string {
	if len(v.stack) == 0 {
		return ""
	}
	n := 0
	for _, e := range v.stack {
		n += len(e.seg) + 1
	}
	var b strings.Builder
	b.Grow(n)
	for _, e := range v.stack {
		b.WriteByte('/')
		b.WriteString(e.seg)
	}
	return b.String()
}

func (v *validator) lookup(prefix string) (string, bool) {
	switch prefix {
	case "xml":
		return nsXML, true
	case "xmlns":
		return nsXMLNS, true
	}
	var sc *nsScope
	if len(v.stack) > 0 {
		sc = v.stack[len(v.stack)-1].scope
	}
	for ; sc != nil; sc = sc.parent {
		if u, ok := sc.decl[prefix]; ok {
			return u, true
		}
	}
	if prefix == "" {
		return "", true
	}
	return "", false
}

func qname(ns, local string) string {
	if ns == "" {
		return local
	}
	return "{" + ns + "}" + local
}

func (v *validator) start(t *token, line, col int) bool {
	if v.rootClosed {
		v.add(line, col, "", "document is not well-formed XML: element <%s> after the root element", t.local)
		return false
	}
	e := &openElem{local: t.local, prefix: t.prefix, line: line, col: col}
	parent := (*openElem)(nil)
	if len(v.stack) > 0 {
		parent = v.stack[len(v.stack)-1]
		e.scope = parent.scope
	}
	declared := false
	for _, a := range t.attrs {
		prefix, ok := "", false
		switch {
		case a.prefix == "xmlns":
			prefix, ok = a.local, true
		case a.prefix == "" && a.local == "xmlns":
			ok = true
		}
		if !ok {
			continue
		}
		if !declared {
			declared = true
			e.scope = &nsScope{decl: map[string]string{}, parent: e.scope}
		}
		e.scope.decl[prefix] = a.value
	}
	v.stack = append(v.stack, e)
	e.seg = e.local
	if parent != nil {
		n := 0
		for i := range parent.counts {
			if parent.counts[i].name == e.local {
				parent.counts[i].n++
				n = parent.counts[i].n
				break
			}
		}
		if n == 0 {
			parent.counts = append(parent.counts, childCount{e.local, 1})
		} else {
			e.seg += "[" + strconv.Itoa(n) + "]"
		}
	}
	ns, ok := v.lookup(e.prefix)
	if !ok {
		v.add(line, col, v.path(), "namespace prefix %q is not declared", e.prefix)
		e.skip = true
		return true
	}
	e.ns = ns
	if e.local == v.s.Limits.AttachmentElement && e.local != "" {
		v.attachment = true
	}
	// Duplicate attributes make the document not well-formed.
	if len(t.attrs) > 1 {
		resolved := make([]string, len(t.attrs))
		for i, a := range t.attrs {
			ans := ""
			if a.prefix != "" {
				u, ok := v.lookup(a.prefix)
				if !ok {
					v.add(line, col, v.path(), "namespace prefix %q of attribute %s is not declared", a.prefix, a.local)
					continue
				}
				ans = u
			}
			resolved[i] = ans + " " + a.local
		}
		if repeated := findRepeated(resolved); repeated >= 0 {
			v.add(line, col, v.path(), "document is not well-formed XML: attribute %s is repeated", t.attrs[repeated].local)
			return false
		}
	} else if len(t.attrs) == 1 && t.attrs[0].prefix != "" {
		if _, ok := v.lookup(t.attrs[0].prefix); !ok {
			v.add(line, col, v.path(), "namespace prefix %q of attribute %s is not declared", t.attrs[0].prefix, t.attrs[0].local)
		}
	}
	if parent == nil {
		v.rootSeen = true
		for _, r := range v.s.Roots {
			if r.Name == e.local && r.Namespace == ns {
				e.decl = r
			}
		}
		if e.decl == nil {
			want := make([]string, len(v.s.Roots))
			for i, r := range v.s.Roots {
				want[i] = qname(r.Namespace, r.Name)
			}
			v.add(line, col, v.path(), "root element %s is not declared by the schema (expected %s)", qname(ns, e.local), strings.Join(want, " or "))
			e.skip = true
			return true
		}
	} else {
		switch {
		case parent.skip:
			e.skip = true
			return true
		case parent.stype != nil:
			parent.hasChild = true
			v.add(line, col, v.path(), "element %s is not allowed: %s has simple content", e.local, parent.local)
			e.skip = true
			return true
		case parent.m == nil:
			parent.hasChild = true
			v.add(line, col, v.path(), "element %s is not allowed: %s must be empty", e.local, parent.local)
			e.skip = true
			return true
		}
		parent.hasChild = true
		e.decl = parent.m.match(ns, e.local)
		if e.decl == nil {
			names, canEnd := parent.m.expected()
			v.add(line, col, v.path(), "unexpected element %s; %s", qname(ns, e.local), expectation(names, canEnd, parent.local))
			e.skip = true
			return true
		}
	}
	d := e.decl
	if d.Complex != nil {
		e.ctype = d.Complex
		e.stype = d.Complex.Simple
		if d.Complex.Content != nil && d.Complex.Simple == nil {
			e.m = newMatcher(d.Complex)
		}
	} else {
		e.stype = d.Simple
	}
	v.attributes(e, t.attrs, line, col)
	return true
}

// findRepeated returns the index of the first name that occurs earlier in
// names, or -1.
func findRepeated(names []string) int {
	if len(names) <= 16 {
		for i := range names {
			for j := 0; j < i; j++ {
				if names[i] != "" && names[i] == names[j] {
					return i
				}
			}
		}
		return -1
	}
	seen := make(map[string]bool, len(names))
	for i, n := range names {
		if n == "" {
			continue
		}
		if seen[n] {
			return i
		}
		seen[n] = true
	}
	return -1
}

func expectation(names []string, canEnd bool, parent string) string {
	switch {
	case len(names) == 0 && canEnd:
		return "no more elements are allowed in " + parent
	case len(names) == 0:
		return "nothing can follow here"
	}
	s := "expected " + oneOf(names)
	if canEnd {
		s += " or the end of " + parent
	}
	return s
}

func oneOf(names []string) string {
	if len(names) == 1 {
		return names[0]
	}
	if len(names) > 12 {
		return "one of " + strings.Join(names[:12], ", ") + fmt.Sprintf(" (and %d more)", len(names)-12)
	}
	return "one of " + strings.Join(names, ", ")
}

func (v *validator) attributes(e *openElem, attrs []lexAttr, line, col int) {
	var uses []*Attribute
	if e.ctype != nil {
		uses = e.ctype.Attributes
	}
	var found []bool
	if len(uses) > 0 {
		found = make([]bool, len(uses))
	}
	for _, a := range attrs {
		if a.prefix == "xmlns" || (a.prefix == "" && a.local == "xmlns") {
			continue
		}
		ns := ""
		if a.prefix != "" {
			u, ok := v.lookup(a.prefix)
			if !ok {
				continue
			}
			ns = u
		}
		if ns == nsXSI {
			switch a.local {
			case "schemaLocation", "noNamespaceSchemaLocation":
				continue
			case "nil":
				v.add(line, col, v.path(), "attribute xsi:nil is not allowed: element %s is not nillable", e.local)
				continue
			case "type":
				v.add(line, col, v.path(), "attribute xsi:type is not supported")
				continue
			}
		}
		matched := false
		for i, u := range uses {
			if u.Name == a.local && u.Namespace == ns {
				matched = true
				found[i] = true
				val := a.value
				for _, msg := range u.Type.Check(val) {
					v.add(line, col, v.path(), "attribute %s: %s", u.Name, msg)
				}
				if u.HasFixed && !u.Type.Equal(val, u.Fixed) {
					v.add(line, col, v.path(), "attribute %s: value %q must be %q (fixed)", u.Name, val, u.Fixed)
				}
				break
			}
		}
		if !matched {
			v.add(line, col, v.path(), "attribute %s is not allowed on element %s", qname(ns, a.local), e.local)
		}
	}
	for i, u := range uses {
		if u.Required && !found[i] {
			v.add(line, col, v.path(), "required attribute %s is missing", u.Name)
		}
	}
}

func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D || (r >= 0x20 && r <= 0xD7FF) ||
		(r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

func (v *validator) chars(t []byte, line, col int) {
	if len(v.stack) == 0 {
		if len(bytes.TrimLeft(t, " \t\r\n")) > 0 {
			v.add(line, col, "", "document is not well-formed XML: text outside the root element")
		}
		return
	}
	e := v.stack[len(v.stack)-1]
	if e.skip {
		return
	}
	if e.stype != nil {
		e.text.Write(t)
		return
	}
	if !e.textError && len(bytes.TrimLeft(t, " \t\r\n")) > 0 {
		e.textError = true
		v.add(line, col, v.path(), "text %q is not allowed: element %s has element-only content", abbreviate(strings.TrimSpace(string(t))), e.local)
	}
}

func (v *validator) end(prefix, local string, line, col int) bool {
	if len(v.stack) == 0 {
		v.add(line, col, "", "document is not well-formed XML: unexpected end tag </%s>", local)
		return false
	}
	e := v.stack[len(v.stack)-1]
	if e.local != local || e.prefix != prefix {
		v.add(line, col, v.path(), "document is not well-formed XML: element <%s> is closed by </%s>", rawName(e.prefix, e.local), rawName(prefix, local))
		return false
	}
	defer func() {
		v.stack = v.stack[:len(v.stack)-1]
		if len(v.stack) == 0 {
			v.rootClosed = true
		}
	}()
	if e.skip {
		return true
	}
	switch {
	case e.stype != nil:
		val := e.text.String()
		d := e.decl
		if val == "" && !e.hasChild {
			if d.HasFixed {
				val = d.Fixed
			} else if d.HasDefault {
				val = d.Default
			}
		}
		if e.hasChild {
			return true
		}
		for _, msg := range e.stype.Check(val) {
			v.add(e.line, e.col, v.path(), "%s", msg)
		}
		if d.HasFixed && !e.stype.Equal(val, d.Fixed) {
			v.add(e.line, e.col, v.path(), "value %q must be %q (fixed)", val, d.Fixed)
		}
	case e.m != nil:
		if !e.m.canEnd() {
			names, _ := e.m.expected()
			v.add(line, col, v.path(), "content of %s is incomplete; expected %s", e.local, oneOf(names))
		}
	}
	return true
}

func rawName(prefix, local string) string {
	if prefix == "" {
		return local
	}
	return prefix + ":" + local
}

// Equal reports whether two lexical values of the type denote the same
// value (used for fixed values).
func (t *SimpleType) Equal(a, b string) bool {
	switch t.Kind {
	case KindDecimal, KindInteger:
		da, ok1 := parseDecimal(a)
		db, ok2 := parseDecimal(b)
		return ok1 && ok2 && cmpDecimal(da, db) == 0
	case KindDate, KindDateTime, KindGYear:
		da, ok1 := parseDateTime(collapse(a), t.Kind)
		db, ok2 := parseDateTime(collapse(b), t.Kind)
		return ok1 && ok2 && da.equal(db)
	}
	return Normalize(a, t.WhiteSpace) == Normalize(b, t.WhiteSpace)
}

// scanReader passes the document through while checking the byte-level
// acceptance rules: no BOM, valid UTF-8, no discouraged code points. It
// counts bytes for the size limits.
type scanReader struct {
	r       io.Reader
	v       *validator
	n       int64
	line    int
	col     int
	carry   []byte
	readErr error
	badUTF8 bool
	bomDone bool
	head    []byte
	// hardLimit stops reading documents far beyond every size limit.
	hardLimit int64
	tooLarge  bool
}

var errTooLarge = errors.New("document too large")

func (s *scanReader) Read(p []byte) (int, error) {
	if !s.bomDone {
		s.bomDone = true
		head := make([]byte, 3)
		n, err := io.ReadFull(s.r, head)
		head = head[:n]
		s.n += int64(n)
		if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
			s.readErr = err
			return 0, err
		}
		if bytes.Equal(head, []byte{0xEF, 0xBB, 0xBF}) {
			s.v.add(1, 1, "", "document starts with a byte order mark (BOM); UTF-8 without BOM is required")
			head = nil
		}
		s.head = head
	}
	if len(s.head) > 0 {
		n := copy(p, s.head)
		s.scan(s.head[:n])
		s.head = s.head[n:]
		return n, nil
	}
	if s.hardLimit > 0 && s.n > s.hardLimit {
		s.tooLarge = true
		return 0, errTooLarge
	}
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		s.readErr = err
	}
	if n > 0 {
		s.n += int64(n)
		s.scan(p[:n])
	}
	return n, err
}

func (s *scanReader) scan(b []byte) {
	if len(s.carry) > 0 {
		b = append(s.carry, b...)
		s.carry = nil
	}
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c == '\n' {
				s.line++
				s.col = 1
			} else {
				s.col++
			}
			if c == 0x7F {
				s.v.add(s.line, s.col-1, "", "discouraged character U+007F")
			}
			i++
			continue
		}
		if !utf8.FullRune(b[i:]) {
			s.carry = append([]byte(nil), b[i:]...)
			return
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			if !s.badUTF8 {
				s.badUTF8 = true
				s.v.add(s.line, s.col, "", "document is not valid UTF-8 (byte 0x%02X)", c)
			}
		} else if discouraged(r) {
			s.v.add(s.line, s.col, "", "discouraged character U+%04X", r)
		}
		s.col += size
		i += size
	}
}

// discouraged reports the code points KSeF refuses: #x7F-#x84, #x86-#x9F,
// #xFDD0-#xFDEF and the last two code points of every plane.
func discouraged(r rune) bool {
	switch {
	case r >= 0x7F && r <= 0x84, r >= 0x86 && r <= 0x9F, r >= 0xFDD0 && r <= 0xFDEF:
		return true
	}
	return r&0xFFFE == 0xFFFE
}
