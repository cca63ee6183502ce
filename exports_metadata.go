package ksef

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// decodeMetadata reads {"invoices":[...]} record by record, so that the
// decoder never holds the whole document (only the decoded records and the
// record being decoded). hint is the expected number of records.
//
// The records are decoded by a hand-written parser of the fields of
// [InvoiceMetadata] (the reflection of encoding/json costs about as much
// CPU as inflating the whole package). It accepts only what encoding/json
// decodes the same way: a record it does not fully recognise (an unknown
// key differing from a known one only in case, a duplicate key, a null
// inside an array, a syntax or type error, ...) is decoded by
// encoding/json instead, so that the result and the errors are those of
// encoding/json.
func decodeMetadata(r io.Reader, hint int) ([]InvoiceMetadata, error) {
	s := &metaStream{r: r, buf: make([]byte, 64<<10)}
	if err := s.expect('{'); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	out := make([]InvoiceMetadata, 0, hint)
	if ok, err := s.end('}'); err != nil {
		return nil, err
	} else if ok {
		return out, nil
	}
	for {
		raw, err := s.value()
		if err != nil {
			return nil, err
		}
		var key string
		if err := unquoteKey(raw, &key); err != nil {
			return nil, err
		}
		if err := s.expect(':'); err != nil {
			return nil, err
		}
		if key == "invoices" {
			if err := s.expect('['); err != nil {
				return nil, fmt.Errorf("invoices is not an array: %w", err)
			}
			empty, err := s.end(']')
			if err != nil {
				return nil, err
			}
			for !empty {
				// Most records are parsed where they are in the buffer; one
				// cut by the end of the buffer (or refused by the parser) is
				// copied whole first.
				var md InvoiceMetadata
				if _, err := s.peek(); err != nil {
					return nil, err
				}
				if p := (metaParser{b: s.buf[s.i:s.n]}); p.record(&md) {
					s.i += p.i
				} else {
					raw, err := s.value()
					if err != nil {
						return nil, err
					}
					md = InvoiceMetadata{}
					if p := (metaParser{b: raw}); !p.record(&md) || p.peek() != 0 || p.i != len(raw) {
						md = InvoiceMetadata{}
						if err := json.Unmarshal(raw, &md); err != nil {
							return nil, fmt.Errorf("invoices[%d]: %w", len(out), err)
						}
					}
				}
				out = append(out, md)
				if empty, err = s.next(']'); err != nil {
					return nil, err
				}
			}
		} else {
			raw, err := s.value()
			if err != nil {
				return nil, err
			}
			if !json.Valid(raw) {
				var skip json.RawMessage
				return nil, json.Unmarshal(raw, &skip)
			}
		}
		if done, err := s.next('}'); err != nil {
			return nil, err
		} else if done {
			return out, nil
		}
	}
}

// unquoteKey decodes an object key.
func unquoteKey(raw []byte, key *string) error {
	if len(raw) == 0 || raw[0] != '"' {
		return fmt.Errorf("invalid object key %.20q", raw)
	}
	return json.Unmarshal(raw, key)
}

// metaStream finds the JSON values of a stream: the structure of the
// document around the records, and each record's raw bytes.
type metaStream struct {
	r       io.Reader
	buf     []byte
	i, n    int
	off     int64 // stream offset of buf[0]
	err     error
	scratch []byte
}

// fill reads more of the stream; false at its end.
func (s *metaStream) fill() bool {
	if s.err != nil {
		return false
	}
	if s.i == s.n {
		s.off += int64(s.n)
		s.i, s.n = 0, 0
	}
	for {
		m, err := s.r.Read(s.buf[s.n:])
		s.n += m
		if err != nil {
			s.err = err
		}
		if m > 0 {
			return true
		}
		if err != nil {
			return false
		}
	}
}

// readErr is the error for the end of the stream inside the document.
func (s *metaStream) readErr() error {
	if s.err == nil || s.err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return s.err
}

// peek skips white space and returns the next byte.
func (s *metaStream) peek() (byte, error) {
	for {
		for s.i < s.n {
			switch c := s.buf[s.i]; c {
			case ' ', '\t', '\n', '\r':
				s.i++
			default:
				return c, nil
			}
		}
		if !s.fill() {
			return 0, s.readErr()
		}
	}
}

func (s *metaStream) syntaxErr(c byte, what string) error {
	return fmt.Errorf("invalid character %q at offset %d (%s expected)", c, s.off+int64(s.i), what)
}

// expect consumes the byte c.
func (s *metaStream) expect(c byte) error {
	got, err := s.peek()
	if err != nil {
		return err
	}
	if got != c {
		return s.syntaxErr(got, strconv.QuoteRune(rune(c)))
	}
	s.i++
	return nil
}

// end consumes c (the end of an empty object or array) if it is next.
func (s *metaStream) end(c byte) (bool, error) {
	got, err := s.peek()
	if err != nil {
		return false, err
	}
	if got == c {
		s.i++
		return true, nil
	}
	return false, nil
}

// next consumes the ',' between two members, or the closing c.
func (s *metaStream) next(c byte) (bool, error) {
	got, err := s.peek()
	if err != nil {
		return false, err
	}
	switch got {
	case ',':
		s.i++
		return false, nil
	case c:
		s.i++
		return true, nil
	}
	return false, s.syntaxErr(got, "',' or "+strconv.QuoteRune(rune(c)))
}

// value returns the raw bytes of the next value (valid until the next
// call), found by its brackets and strings only: the parser of the value
// checks its syntax.
func (s *metaStream) value() ([]byte, error) {
	c, err := s.peek()
	if err != nil {
		return nil, err
	}
	out := s.scratch[:0]
	switch c {
	case '{', '[', '"':
	case ',', ':', ']', '}':
		return nil, s.syntaxErr(c, "a value")
	default:
		// a literal or a number: up to the next delimiter
		for {
			j := s.i
			for j < s.n && !isMetaDelim(s.buf[j]) {
				j++
			}
			out = append(out, s.buf[s.i:j]...)
			s.i = j
			if j < s.n || !s.fill() {
				s.scratch = out
				return out, nil
			}
		}
	}
	depth, inStr, esc := 0, false, false
	for {
		if s.i == s.n && !s.fill() {
			s.scratch = out
			return nil, s.readErr()
		}
		j, done := s.i, false
		for j < s.n && !done {
			if esc {
				esc = false
				j++
				continue
			}
			if inStr {
				// to the closing quote or the next escape
				rest := s.buf[j:s.n]
				k := bytes.IndexByte(rest, '"')
				if k < 0 {
					k = len(rest)
				}
				if e := bytes.IndexByte(rest[:k], '\\'); e >= 0 {
					j += e + 1
					esc = true
					continue
				}
				j += k
				if j < s.n {
					j++
					inStr = false
					done = depth == 0
				}
				continue
			}
			c := s.buf[j]
			j++
			switch c {
			case '"':
				inStr = true
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				done = depth == 0
			}
		}
		out = append(out, s.buf[s.i:j]...)
		s.i = j
		if done {
			s.scratch = out
			return out, nil
		}
	}
}

func isMetaDelim(c byte) bool {
	switch c {
	case ',', ']', '}', ':', ' ', '\t', '\n', '\r', '{', '[', '"':
		return true
	}
	return false
}

// metaParser decodes one raw record. Each method reports false when the
// input is not something it decodes exactly as encoding/json would; the
// record is then decoded by encoding/json.
type metaParser struct {
	b []byte
	i int
}

func (p *metaParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *metaParser) peek() byte {
	p.ws()
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

func (p *metaParser) lit(s string) bool {
	if bytes.HasPrefix(p.b[p.i:], []byte(s)) {
		p.i += len(s)
		return true
	}
	return false
}

// object parses an object, calling field with each key and the index of
// the key in keys (-1 when unknown) and the value next; null values are
// skipped (a fresh field stays zero, as with encoding/json). A key met
// twice, or an unknown key equal to a known one but for case, is refused.
func (p *metaParser) object(keys []string, field func(k int) bool) bool {
	if p.peek() != '{' {
		return false
	}
	p.i++
	if p.peek() == '}' {
		p.i++
		return true
	}
	var seen uint64
	for {
		if p.peek() != '"' {
			return false
		}
		start := p.i + 1
		end := start
		for end < len(p.b) && p.b[end] != '"' {
			if c := p.b[end]; c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
				return false
			}
			end++
		}
		if end >= len(p.b) {
			return false
		}
		key := p.b[start:end]
		p.i = end + 1
		if p.peek() != ':' {
			return false
		}
		p.i++
		k := -1
		for j, name := range keys {
			if string(key) == name {
				k = j
				break
			}
		}
		if k < 0 {
			for _, name := range keys {
				if bytes.EqualFold(key, []byte(name)) {
					return false
				}
			}
		}
		switch {
		case k >= 0 && seen&(1<<k) != 0:
			return false
		case k >= 0:
			seen |= 1 << k
			if p.peek() == 'n' {
				if !p.lit("null") {
					return false
				}
			} else if !field(k) {
				return false
			}
		default:
			if !p.skip() {
				return false
			}
		}
		switch p.peek() {
		case ',':
			p.i++
		case '}':
			p.i++
			return true
		default:
			return false
		}
	}
}

// skip passes over a value of an unknown key, checking its syntax.
func (p *metaParser) skip() bool {
	p.ws()
	s := &metaStream{r: bytes.NewReader(p.b[p.i:]), buf: p.b[p.i:], n: len(p.b) - p.i, err: io.EOF}
	raw, err := s.value()
	if err != nil || !json.Valid(raw) {
		return false
	}
	p.i += len(raw)
	return true
}

// rawString returns the bytes of a string token without its quotes, and
// whether it holds only printable ASCII without escapes.
func (p *metaParser) rawString() (raw []byte, plain, ok bool) {
	if p.peek() != '"' {
		return nil, false, false
	}
	start := p.i + 1
	plain = true
	j := start
	for j < len(p.b) {
		c := p.b[j]
		if c == '"' {
			p.i = j + 1
			return p.b[start:j], plain, true
		}
		if c == '\\' {
			plain = false
			j += 2
			continue
		}
		if c < 0x20 {
			return nil, false, false
		}
		if c >= utf8.RuneSelf {
			plain = false
		}
		j++
	}
	return nil, false, false
}

func (p *metaParser) str(dst *string) bool {
	start := p.i
	raw, plain, ok := p.rawString()
	if !ok {
		return false
	}
	if plain || (bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw)) {
		*dst = string(raw)
		return true
	}
	return json.Unmarshal(p.b[start:p.i], dst) == nil
}

// digitsEnd returns the index after the run of ASCII digits at b[j:].
func digitsEnd(b []byte, j int) int {
	for j < len(b) && b[j] >= '0' && b[j] <= '9' {
		j++
	}
	return j
}

// number returns a number token, checked against the JSON grammar.
func (p *metaParser) number() ([]byte, bool) {
	p.ws()
	b, start := p.b, p.i
	j := start
	if j < len(b) && b[j] == '-' {
		j++
	}
	switch {
	case j < len(b) && b[j] == '0':
		j++
	case j < len(b) && b[j] >= '1' && b[j] <= '9':
		j = digitsEnd(b, j)
	default:
		return nil, false
	}
	if j < len(b) && b[j] == '.' {
		d := j + 1
		if j = digitsEnd(b, d); j == d {
			return nil, false
		}
	}
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		j++
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		d := j
		if j = digitsEnd(b, d); j == d {
			return nil, false
		}
	}
	p.i = j
	return b[start:j], true
}

func (p *metaParser) float(dst *float64) bool {
	n, ok := p.number()
	if !ok {
		return false
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil {
		return false
	}
	*dst = f
	return true
}

func (p *metaParser) int32(dst *int32) bool {
	n, ok := p.number()
	if !ok {
		return false
	}
	v, err := strconv.ParseInt(string(n), 10, 32)
	if err != nil {
		return false
	}
	*dst = int32(v)
	return true
}

func (p *metaParser) bool(dst *bool) bool {
	p.ws()
	switch {
	case p.lit("true"):
		*dst = true
	case p.lit("false"):
		*dst = false
	default:
		return false
	}
	return true
}

func (p *metaParser) bytes(dst *[]byte) bool {
	raw, plain, ok := p.rawString()
	if !ok || !plain {
		return false
	}
	b := make([]byte, base64.StdEncoding.DecodedLen(len(raw)))
	n, err := base64.StdEncoding.Decode(b, raw)
	if err != nil {
		return false
	}
	*dst = b[:n]
	return true
}

func (p *metaParser) time(dst interface{ UnmarshalJSON([]byte) error }) bool {
	start := p.i
	if _, plain, ok := p.rawString(); !ok || !plain {
		return false
	}
	return dst.UnmarshalJSON(p.b[start:p.i]) == nil
}

// Keys of the objects of a metadata record, as in their json tags.
var (
	metaRecordKeys = []string{"ksefNumber", "invoiceNumber", "issueDate", "invoicingDate", "acquisitionDate",
		"permanentStorageDate", "seller", "buyer", "netAmount", "grossAmount", "vatAmount", "currency",
		"invoicingMode", "invoiceType", "formCode", "isSelfInvoicing", "hasAttachment", "invoiceHash",
		"hashOfCorrectedInvoice", "thirdSubjects", "authorizedSubject"}
	metaSubjectKeys    = []string{"nip", "name", "role"}
	metaPartyKeys      = []string{"identifier", "name", "role"}
	metaIdentifierKeys = []string{"type", "value"}
	metaFormCodeKeys   = []string{"systemCode", "schemaVersion", "value"}
)

// record decodes the record at the start of p.b, up to its closing brace
// (p.i is then after it).
func (p *metaParser) record(md *InvoiceMetadata) bool {
	ok := p.object(metaRecordKeys, func(k int) bool {
		switch k {
		case 0:
			return p.str(&md.KSeFNumber)
		case 1:
			return p.str(&md.InvoiceNumber)
		case 2:
			return p.str(&md.IssueDate)
		case 3:
			return p.time(&md.InvoicingDate)
		case 4:
			return p.time(&md.AcquisitionDate)
		case 5:
			return p.time(&md.PermanentStorageDate)
		case 6:
			return p.object(metaSubjectKeys[:2], func(k int) bool {
				if k == 0 {
					return p.str(&md.Seller.Nip)
				}
				return p.str(&md.Seller.Name)
			})
		case 7:
			return p.object(metaPartyKeys[:2], func(k int) bool {
				if k == 0 {
					id := &md.Buyer.Identifier
					return p.identifier((*string)(&id.Type), &id.Value)
				}
				return p.str(&md.Buyer.Name)
			})
		case 8:
			return p.float(&md.NetAmount)
		case 9:
			return p.float(&md.GrossAmount)
		case 10:
			return p.float(&md.VatAmount)
		case 11:
			return p.str(&md.Currency)
		case 12:
			return p.str((*string)(&md.InvoicingMode))
		case 13:
			return p.str((*string)(&md.InvoiceType))
		case 14:
			return p.object(metaFormCodeKeys, func(k int) bool {
				switch k {
				case 0:
					return p.str(&md.FormCode.SystemCode)
				case 1:
					return p.str(&md.FormCode.SchemaVersion)
				}
				return p.str(&md.FormCode.Value)
			})
		case 15:
			return p.bool(&md.IsSelfInvoicing)
		case 16:
			return p.bool(&md.HasAttachment)
		case 17:
			return p.bytes(&md.InvoiceHash)
		case 18:
			return p.bytes(&md.HashOfCorrectedInvoice)
		case 19:
			return p.thirdSubjects(&md.ThirdSubjects)
		case 20:
			a := new(InvoiceMetadataAuthorizedSubject)
			md.AuthorizedSubject = a
			return p.object(metaSubjectKeys, func(k int) bool {
				switch k {
				case 0:
					return p.str(&a.Nip)
				case 1:
					return p.str(&a.Name)
				}
				return p.int32(&a.Role)
			})
		}
		return false
	})
	return ok
}

func (p *metaParser) identifier(typ, value *string) bool {
	return p.object(metaIdentifierKeys, func(k int) bool {
		if k == 0 {
			return p.str(typ)
		}
		return p.str(value)
	})
}

func (p *metaParser) thirdSubjects(dst *[]InvoiceMetadataThirdSubject) bool {
	if p.peek() != '[' {
		return false
	}
	p.i++
	out := make([]InvoiceMetadataThirdSubject, 0)
	if p.peek() == ']' {
		p.i++
		*dst = out
		return true
	}
	for {
		var t InvoiceMetadataThirdSubject
		if !p.object(metaPartyKeys, func(k int) bool {
			switch k {
			case 0:
				return p.identifier((*string)(&t.Identifier.Type), &t.Identifier.Value)
			case 1:
				return p.str(&t.Name)
			}
			return p.int32(&t.Role)
		}) {
			return false
		}
		out = append(out, t)
		switch p.peek() {
		case ',':
			p.i++
		case ']':
			p.i++
			*dst = out
			return true
		default:
			return false
		}
	}
}
