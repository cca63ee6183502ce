package rt

import (
	"bytes"
	"fmt"
	"io"
	"sync"
	"unicode/utf8"
)

// A streaming XML 1.0 tokenizer for the validator. Compared with
// encoding/xml it applies attribute-value normalisation, rejects character
// references to non-characters, keeps exact token positions, interns
// names and allocates little. It checks well-formedness (names, character
// ranges, references, comments, CDATA, tag nesting is left to the caller)
// but does not resolve namespaces.

type tokKind uint8

const (
	tokStart tokKind = iota
	tokEnd
	tokText
	tokComment
	tokPI
	tokDirective
	tokEOF
)

type lexAttr struct {
	prefix, local string
	value         string
}

type token struct {
	kind          tokKind
	prefix, local string // element name; PI target in local
	attrs         []lexAttr
	selfClose     bool
	text          []byte // decoded character data; PI content
	cdata         bool
	line, col     int
}

// wfError is a well-formedness error at a position.
type wfError struct {
	line, col int
	msg       string
}

func (e *wfError) Error() string { return e.msg }

type lexer struct {
	r         io.Reader
	buf       []byte
	pos       int
	eof       bool
	readErr   error
	line, col int
	names     map[string]string
	tok       token
	textBuf   []byte
	started   bool // a token was read (the XML declaration must come first)
	// onDiscouraged is told about character references to code points
	// KSeF refuses (literal ones are caught by the byte scanner).
	onDiscouraged func(line, col int, r rune)
}

var lexerPool = sync.Pool{New: func() any {
	return &lexer{buf: make([]byte, 0, 16<<10), names: map[string]string{}}
}}

// maxInterned bounds the name table kept by a pooled lexer.
const maxInterned = 4096

func newLexer(r io.Reader) *lexer {
	l := lexerPool.Get().(*lexer)
	if len(l.names) > maxInterned {
		l.names = map[string]string{}
	}
	*l = lexer{r: r, buf: l.buf[:0], line: 1, col: 1, names: l.names, textBuf: l.textBuf[:0],
		tok: token{attrs: l.tok.attrs[:0], text: l.tok.text[:0]}}
	return l
}

// release returns the lexer to the pool.
func (l *lexer) release() {
	if cap(l.buf) > 1<<20 {
		return
	}
	l.r = nil
	lexerPool.Put(l)
}

// fill makes at least n bytes available after pos, unless the input ends.
func (l *lexer) fill(n int) bool {
	for len(l.buf)-l.pos < n {
		if l.eof {
			return false
		}
		if len(l.buf) == cap(l.buf) {
			nb := make([]byte, len(l.buf), 2*cap(l.buf)+4096)
			copy(nb, l.buf)
			l.buf = nb
		}
		m, err := l.r.Read(l.buf[len(l.buf):cap(l.buf)])
		l.buf = l.buf[:len(l.buf)+m]
		if err != nil {
			l.eof = true
			if err != io.EOF {
				l.readErr = err
			}
		}
	}
	return true
}

// compact drops consumed bytes at a token boundary.
func (l *lexer) compact() {
	if l.pos > 16<<10 && l.pos > len(l.buf)/2 {
		n := copy(l.buf, l.buf[l.pos:])
		l.buf = l.buf[:n]
		l.pos = 0
	}
}

func (l *lexer) peek(i int) int {
	if !l.fill(i + 1) {
		return -1
	}
	return int(l.buf[l.pos+i])
}

func (l *lexer) hasPrefix(s string) bool {
	if !l.fill(len(s)) {
		return false
	}
	return string(l.buf[l.pos:l.pos+len(s)]) == s
}

// advance consumes n bytes, keeping the line and column.
func (l *lexer) advance(n int) {
	b := l.buf[l.pos : l.pos+n]
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		l.line += bytes.Count(b, []byte{'\n'})
		l.col = n - i
	} else {
		l.col += n
	}
	l.pos += n
}

func (l *lexer) errf(format string, args ...any) *wfError {
	return &wfError{line: l.line, col: l.col, msg: fmt.Sprintf(format, args...)}
}

// char decodes the character at pos (size 0 at end of input) and checks
// that it is an XML character.
func (l *lexer) char() (rune, int, *wfError) {
	if !l.fill(1) {
		return 0, 0, nil
	}
	c := l.buf[l.pos]
	if c < utf8.RuneSelf {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return 0, 0, l.errf("illegal character U+%04X", c)
		}
		return rune(c), 1, nil
	}
	l.fill(utf8.UTFMax)
	r, size := utf8.DecodeRune(l.buf[l.pos:])
	if r == utf8.RuneError && size == 1 {
		return 0, 0, l.errf("invalid UTF-8")
	}
	if !isXMLChar(r) {
		return 0, 0, l.errf("illegal character U+%04X", r)
	}
	return r, size, nil
}

// appendChar appends the next character, checked by [lexer.char], to v and
// consumes it. Callers have made sure that input remains.
func (l *lexer) appendChar(v []byte) ([]byte, *wfError) {
	_, size, err := l.char()
	if err != nil {
		return nil, err
	}
	v = append(v, l.buf[l.pos:l.pos+size]...)
	l.advance(size)
	return v, nil
}

func isNameStart(r rune) bool {
	switch {
	case r == ':' || r == '_' || (r >= 'A' && r <= 'Z') || (r >= 'a' && r <= 'z'):
		return true
	case r < 0xC0:
		return false
	}
	return (r >= 0xC0 && r <= 0xD6) || (r >= 0xD8 && r <= 0xF6) || (r >= 0xF8 && r <= 0x2FF) ||
		(r >= 0x370 && r <= 0x37D) || (r >= 0x37F && r <= 0x1FFF) || (r >= 0x200C && r <= 0x200D) ||
		(r >= 0x2070 && r <= 0x218F) || (r >= 0x2C00 && r <= 0x2FEF) || (r >= 0x3001 && r <= 0xD7FF) ||
		(r >= 0xF900 && r <= 0xFDCF) || (r >= 0xFDF0 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0xEFFFF)
}

func isNameChar(r rune) bool {
	return isNameStart(r) || r == '-' || r == '.' || (r >= '0' && r <= '9') || r == 0xB7 ||
		(r >= 0x300 && r <= 0x36F) || (r >= 0x203F && r <= 0x2040)
}

// name reads an XML name and returns it interned.
func (l *lexer) name() (string, *wfError) {
	start := l.pos
	n := 0
	for {
		if !l.fill(n + 1) {
			break
		}
		c := l.buf[start+n]
		if c < utf8.RuneSelf {
			r := rune(c)
			if (n == 0 && !isNameStart(r)) || (n > 0 && !isNameChar(r)) {
				break
			}
			n++
			continue
		}
		l.fill(n + utf8.UTFMax)
		r, size := utf8.DecodeRune(l.buf[start+n:])
		if (n == 0 && !isNameStart(r)) || (n > 0 && !isNameChar(r)) {
			break
		}
		n += size
	}
	if n == 0 {
		return "", l.errf("expected a name")
	}
	b := l.buf[start : start+n]
	s, ok := l.names[string(b)]
	if !ok {
		s = string(b)
		l.names[s] = s
	}
	l.advance(n)
	return s, nil
}

// qname splits a name into prefix and local part (namespaces in XML).
func (l *lexer) qname(s string) (string, string, *wfError) {
	i := -1
	for j := 0; j < len(s); j++ {
		if s[j] == ':' {
			if i >= 0 {
				return "", "", l.errf("name %q has more than one colon", s)
			}
			i = j
		}
	}
	if i < 0 {
		return "", s, nil
	}
	if i == 0 || i == len(s)-1 {
		return "", "", l.errf("name %q is not a valid qualified name", s)
	}
	return s[:i], s[i+1:], nil
}

func (l *lexer) skipSpace() int {
	n := 0
	for {
		c := l.peek(0)
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return n
		}
		l.advance(1)
		n++
	}
}

// reference decodes an entity or character reference at '&' into dst.
func (l *lexer) reference(dst []byte) ([]byte, *wfError) {
	l.advance(1) // &
	if l.peek(0) == '#' {
		l.advance(1)
		hex := l.peek(0) == 'x'
		if hex {
			l.advance(1)
		}
		var n uint64
		digits := 0
		for {
			c := l.peek(0)
			var d int
			switch {
			case c >= '0' && c <= '9':
				d = c - '0'
			case hex && c >= 'a' && c <= 'f':
				d = c - 'a' + 10
			case hex && c >= 'A' && c <= 'F':
				d = c - 'A' + 10
			default:
				d = -1
			}
			if d < 0 {
				break
			}
			if n < 1<<32 {
				if hex {
					n = n*16 + uint64(d)
				} else {
					n = n*10 + uint64(d)
				}
			}
			digits++
			l.advance(1)
		}
		if digits == 0 || l.peek(0) != ';' {
			return dst, l.errf("malformed character reference")
		}
		l.advance(1)
		if n > 0x10FFFF || !isXMLChar(rune(n)) {
			return dst, l.errf("character reference to U+%X, which is not an XML character", n)
		}
		if discouraged(rune(n)) && l.onDiscouraged != nil {
			l.onDiscouraged(l.line, l.col, rune(n))
		}
		return utf8.AppendRune(dst, rune(n)), nil
	}
	name, err := l.name()
	if err != nil {
		return dst, l.errf("malformed entity reference")
	}
	if l.peek(0) != ';' {
		return dst, l.errf("entity reference &%s without ';'", name)
	}
	l.advance(1)
	switch name {
	case "lt":
		return append(dst, '<'), nil
	case "gt":
		return append(dst, '>'), nil
	case "amp":
		return append(dst, '&'), nil
	case "apos":
		return append(dst, '\''), nil
	case "quot":
		return append(dst, '"'), nil
	}
	return dst, l.errf("undefined entity &%s;", name)
}

// next reads the next token. inRoot tells whether an element is open
// (character data and CDATA are only allowed there).
func (l *lexer) next() (*token, *wfError) {
	l.compact()
	t := &l.tok
	t.line, t.col = l.line, l.col
	t.attrs = t.attrs[:0]
	t.text = t.text[:0]
	t.selfClose, t.cdata = false, false
	first := !l.started
	l.started = true
	c := l.peek(0)
	if c < 0 {
		if l.readErr != nil {
			return nil, &wfError{line: l.line, col: l.col, msg: "read error"}
		}
		t.kind = tokEOF
		return t, nil
	}
	if c != '<' {
		return l.text(t)
	}
	switch c1 := l.peek(1); {
	case c1 == '/':
		l.advance(2)
		n, err := l.name()
		if err != nil {
			return nil, err
		}
		if t.prefix, t.local, err = l.qname(n); err != nil {
			return nil, err
		}
		l.skipSpace()
		if l.peek(0) != '>' {
			return nil, l.errf("expected '>' to close end tag </%s", n)
		}
		l.advance(1)
		t.kind = tokEnd
		return t, nil
	case c1 == '?':
		return l.pi(t, first)
	case c1 == '!':
		switch {
		case l.hasPrefix("<!--"):
			return l.comment(t)
		case l.hasPrefix("<![CDATA["):
			return l.cdataSection(t)
		case l.hasPrefix("<!DOCTYPE"):
			return l.doctype(t)
		}
		return nil, l.errf("unexpected '<!'")
	}
	return l.startTag(t)
}

func (l *lexer) startTag(t *token) (*token, *wfError) {
	l.advance(1) // <
	n, err := l.name()
	if err != nil {
		return nil, err
	}
	if t.prefix, t.local, err = l.qname(n); err != nil {
		return nil, err
	}
	t.kind = tokStart
	for {
		sp := l.skipSpace()
		c := l.peek(0)
		switch c {
		case '>':
			l.advance(1)
			return t, nil
		case '/':
			if l.peek(1) != '>' {
				return nil, l.errf("expected '/>'")
			}
			l.advance(2)
			t.selfClose = true
			return t, nil
		case -1:
			return nil, l.errf("unexpected end of input in start tag <%s", n)
		}
		if sp == 0 {
			return nil, l.errf("attributes must be separated by white space in <%s", n)
		}
		an, err := l.name()
		if err != nil {
			return nil, err
		}
		var a lexAttr
		if a.prefix, a.local, err = l.qname(an); err != nil {
			return nil, err
		}
		l.skipSpace()
		if l.peek(0) != '=' {
			return nil, l.errf("attribute %s has no value", an)
		}
		l.advance(1)
		l.skipSpace()
		q := l.peek(0)
		if q != '"' && q != '\'' {
			return nil, l.errf("attribute value of %s is not quoted", an)
		}
		l.advance(1)
		v := l.textBuf[:0]
	value:
		for {
			c := l.peek(0)
			switch {
			case c == q:
				l.advance(1)
				a.value = string(v)
				l.textBuf = v
				t.attrs = append(t.attrs, a)
				break value
			case c == -1:
				return nil, l.errf("unexpected end of input in attribute value")
			case c == '<':
				return nil, l.errf("'<' in attribute value of %s", an)
			case c == '&':
				if v, err = l.reference(v); err != nil {
					return nil, err
				}
			case c == '\r':
				l.advance(1)
				if l.peek(0) == '\n' {
					l.advance(1)
				}
				v = append(v, ' ')
			case c == '\n' || c == '\t':
				l.advance(1)
				v = append(v, ' ')
			default:
				if v, err = l.appendChar(v); err != nil {
					return nil, err
				}
			}
		}
	}
}

func (l *lexer) text(t *token) (*token, *wfError) {
	t.kind = tokText
	v := t.text[:0]
	for {
		c := l.peek(0)
		switch {
		case c == -1 || c == '<':
			t.text = v
			return t, nil
		case c == '&':
			var err *wfError
			if v, err = l.reference(v); err != nil {
				return nil, err
			}
		case c == '\r':
			l.advance(1)
			if l.peek(0) == '\n' {
				l.advance(1)
			}
			v = append(v, '\n')
		case c == ']' && l.hasPrefix("]]>"):
			return nil, l.errf("']]>' is not allowed in character data")
		case c >= 0x20 && c < utf8.RuneSelf || c == '\n' || c == '\t':
			// Fast path: a run of plain ASCII.
			start := l.pos
			i := start
			for i < len(l.buf) {
				b := l.buf[i]
				if b < 0x20 && b != '\n' && b != '\t' || b >= utf8.RuneSelf || b == '<' || b == '&' || b == ']' || b == '\r' {
					break
				}
				i++
			}
			if i == start {
				i++
			}
			v = append(v, l.buf[start:i]...)
			l.advance(i - start)
		default:
			var err *wfError
			if v, err = l.appendChar(v); err != nil {
				return nil, err
			}
		}
	}
}

// until consumes characters up to and including the terminator and
// returns the content before it.
func (l *lexer) until(term string, what string) ([]byte, *wfError) {
	v := l.textBuf[:0]
	for {
		if l.hasPrefix(term) {
			l.advance(len(term))
			l.textBuf = v
			return v, nil
		}
		r, size, err := l.char()
		if err != nil {
			return nil, err
		}
		if size == 0 {
			return nil, l.errf("unexpected end of input in %s", what)
		}
		if r == '\r' {
			l.advance(1)
			if l.peek(0) == '\n' {
				l.advance(1)
			}
			v = append(v, '\n')
			continue
		}
		v = append(v, l.buf[l.pos:l.pos+size]...)
		l.advance(size)
	}
}

func (l *lexer) comment(t *token) (*token, *wfError) {
	l.advance(4)
	body, err := l.until("--", "comment")
	if err != nil {
		return nil, err
	}
	if l.peek(0) != '>' {
		return nil, l.errf("'--' is not allowed inside a comment")
	}
	l.advance(1)
	t.kind = tokComment
	t.text = append(t.text[:0], body...)
	return t, nil
}

func (l *lexer) cdataSection(t *token) (*token, *wfError) {
	l.advance(9)
	body, err := l.until("]]>", "CDATA section")
	if err != nil {
		return nil, err
	}
	t.kind = tokText
	t.cdata = true
	t.text = append(t.text[:0], body...)
	return t, nil
}

func (l *lexer) pi(t *token, first bool) (*token, *wfError) {
	l.advance(2)
	target, err := l.name()
	if err != nil {
		return nil, err
	}
	if target == "xml" && !first {
		return nil, l.errf("XML declaration is allowed only at the start of the document")
	}
	if target != "xml" && len(target) == 3 && (target[0]|0x20) == 'x' && (target[1]|0x20) == 'm' && (target[2]|0x20) == 'l' {
		return nil, l.errf("processing instruction target %q is reserved", target)
	}
	if l.hasPrefix("?>") {
		l.advance(2)
		t.kind = tokPI
		t.local = target
		t.text = t.text[:0]
		return t, nil
	}
	if l.skipSpace() == 0 {
		return nil, l.errf("expected white space after processing instruction target %s", target)
	}
	body, err := l.until("?>", "processing instruction")
	if err != nil {
		return nil, err
	}
	t.kind = tokPI
	t.local = target
	t.text = append(t.text[:0], body...)
	return t, nil
}

// doctype skips a document type declaration, internal subset included.
func (l *lexer) doctype(t *token) (*token, *wfError) {
	depth := 0
	var quote int
	for {
		c := l.peek(0)
		if c < 0 {
			return nil, l.errf("unexpected end of input in DOCTYPE")
		}
		l.advance(1)
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '[':
			depth++
		case c == ']':
			depth--
		case c == '>' && depth <= 0:
			t.kind = tokDirective
			return t, nil
		}
	}
}
