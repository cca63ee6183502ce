// Package mutate derives variants of a valid XML document for differential
// testing of schema validators: elements removed, duplicated, reordered,
// renamed or moved to another namespace, unknown elements and attributes,
// and text values replaced by wrong enumeration values, broken patterns,
// overlong strings, bad dates and decimals. A mutant may or may not be
// valid; the point is that two validators must agree on it.
package mutate

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/beevik/etree"
)

// Mutant is one derived document.
type Mutant struct {
	// Doc is the mutated document (UTF-8, well-formed).
	Doc []byte
	// Desc says what was changed, e.g. "remove /Faktura/Fa/P_2".
	Desc string
	// Kinds lists the kind of each mutation applied, in order.
	Kinds []Kind
}

// Kind names one kind of mutation.
type Kind string

// The kinds of mutation [Mutate] applies.
const (
	Remove     Kind = "remove"     // remove an element
	Duplicate  Kind = "duplicate"  // duplicate an element
	Swap       Kind = "swap"       // swap an element with its next sibling
	Move       Kind = "move"       // move an element to the front or end of its parent
	Enum       Kind = "enum"       // wrong enumeration value
	Pattern    Kind = "pattern"    // a character inserted to break a pattern
	Overlong   Kind = "overlong"   // overlong string
	Date       Kind = "date"       // bad date or dateTime
	Decimal    Kind = "decimal"    // bad decimal
	Namespace  Kind = "namespace"  // wrong namespace
	Unknown    Kind = "unknown"    // unknown element inserted
	Rename     Kind = "rename"     // element renamed to another element's name
	Whitespace Kind = "whitespace" // empty or white-space padded text
	Attribute  Kind = "attribute"  // attribute added, removed or changed
	Mixed      Kind = "mixed"      // text in element-only content or child in a leaf
	Copy       Kind = "copy"       // value copied from another leaf
)

// Kinds lists every kind of mutation, in the order of the operations.
var Kinds = []Kind{Remove, Duplicate, Swap, Move, Enum, Pattern, Overlong, Date, Decimal,
	Namespace, Unknown, Rename, Whitespace, Attribute, Mixed, Copy}

// Mutate applies one to three random mutations chosen by seed to doc.
func Mutate(doc []byte, seed uint64) (Mutant, error) {
	d := etree.NewDocument()
	d.ReadSettings.PreserveCData = true
	if err := d.ReadFromBytes(doc); err != nil {
		return Mutant{}, fmt.Errorf("mutate: %w", err)
	}
	root := d.Root()
	if root == nil {
		return Mutant{}, errors.New("mutate: document has no root element")
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9E3779B97F4A7C15))
	n := 1 + rng.IntN(3)
	if rng.IntN(2) == 0 {
		n = 1
	}
	var descs []string
	var kinds []Kind
	for i := 0; i < n; i++ {
		k, desc := mutateOnce(rng, root)
		descs = append(descs, desc)
		kinds = append(kinds, k)
	}
	out, err := d.WriteToBytes()
	if err != nil {
		return Mutant{}, fmt.Errorf("mutate: %w", err)
	}
	return Mutant{Doc: out, Desc: strings.Join(descs, "; "), Kinds: kinds}, nil
}

func allElements(e *etree.Element, out []*etree.Element) []*etree.Element {
	out = append(out, e)
	for _, c := range e.ChildElements() {
		out = allElements(c, out)
	}
	return out
}

func leaves(all []*etree.Element) []*etree.Element {
	var out []*etree.Element
	for _, e := range all {
		if len(e.ChildElements()) == 0 {
			out = append(out, e)
		}
	}
	return out
}

func pathOf(e *etree.Element) string {
	var parts []string
	for ; e != nil; e = e.Parent() {
		if e.Tag == "" {
			break
		}
		parts = append([]string{e.Tag}, parts...)
	}
	return "/" + strings.Join(parts, "/")
}

// Values used to replace element text.
var (
	wrongEnums = []string{"0", "3", "4", "9", "XX", "ZZZ", "pl", "FA (4)", "KOR_X", "VAT", "np", "23%", "zw ", "true"}
	badDates   = []string{"2025-02-30", "2025-13-01", "2025-00-10", "0000-01-01", "2025-1-01", "2025/01/01",
		"2024-02-29", "2023-02-29", "1899-12-31", "2051-01-01", "2025-01-01Z", "2025-01-01+01:00", " 2025-01-01",
		"2025-09-01T00:00:00", "2025-09-01T24:00:00Z", "2025-09-01T23:59:60Z", "2025-09-01T12:00:00+14:00",
		"2025-09-01T12:00:00.123Z", "2025-09-01T12:00Z", "2016-06-30", "2006-01-01", "2050-01-01", "2050-01-02", "12025-01-01"}
	badDecimals = []string{"1,5", "1.234", "1.2345678", "12345678901234567.00", "-0", "1e3", ".5", "+1", "1.", "0.00",
		"-1", "100.01", "99999999999999999", "1234567890123456", "00012.50", " 12.50 ", "12.5 ", "NaN", "", "0", "1 000",
		"123456789012345678901234", "1234567890123456789012345", "0.000001", "5", "7", "6.5", "8", "23", "22", "zw"}
	patternBreakers = []string{"!", " ", "a", "Ą", "0", "-", "\t", "١"}
)

// mutateOnce applies one mutation and returns its kind and description.
func mutateOnce(rng *rand.Rand, root *etree.Element) (Kind, string) {
	if len(root.ChildElements()) == 0 {
		return "", "nothing"
	}
	op := rng.IntN(len(Kinds))
	return Kinds[op], mutateOp(op, rng, root)
}

func mutateOp(op int, rng *rand.Rand, root *etree.Element) string {
	all := allElements(root, nil)
	nonRoot := all[1:]
	pick := func(s []*etree.Element) *etree.Element { return s[rng.IntN(len(s))] }
	lv := leaves(nonRoot)
	switch op {
	case 0: // remove an element
		e := pick(nonRoot)
		e.Parent().RemoveChild(e)
		return "remove " + pathOf(e)
	case 1: // duplicate an element
		e := pick(nonRoot)
		p := e.Parent()
		p.InsertChildAt(e.Index()+1, e.Copy())
		return "duplicate " + pathOf(e)
	case 2: // swap with the next sibling element
		e := pick(nonRoot)
		next := e.NextSibling()
		if next == nil {
			return "swap (none) " + pathOf(e)
		}
		p := e.Parent()
		p.RemoveChild(next)
		p.InsertChildAt(e.Index(), next)
		return "swap " + pathOf(e) + " with " + next.Tag
	case 3: // move an element to the front or the end of its parent
		e := pick(nonRoot)
		p := e.Parent()
		p.RemoveChild(e)
		if rng.IntN(2) == 0 {
			p.InsertChildAt(0, e)
			return "move to front " + pathOf(e)
		}
		p.AddChild(e)
		return "move to end " + pathOf(e)
	case 4: // wrong enumeration value
		e := pick(lv)
		v := wrongEnums[rng.IntN(len(wrongEnums))]
		e.SetText(v)
		return fmt.Sprintf("set %s = %q", pathOf(e), v)
	case 5: // break a pattern
		e := pick(lv)
		t := e.Text()
		b := patternBreakers[rng.IntN(len(patternBreakers))]
		i := 0
		if len(t) > 0 {
			i = rng.IntN(len([]rune(t)) + 1)
		}
		r := []rune(t)
		nt := string(r[:i]) + b + string(r[i:])
		e.SetText(nt)
		return fmt.Sprintf("set %s = %q", pathOf(e), nt)
	case 6: // overlong string
		e := pick(lv)
		t := e.Text()
		if t == "" {
			t = "x"
		}
		lens := []int{9, 11, 21, 51, 241, 257, 513, 3501}
		n := lens[rng.IntN(len(lens))]
		rt := []rune(t)
		nt := string([]rune(strings.Repeat(t, n/len(rt)+1))[:n])
		e.SetText(nt)
		return fmt.Sprintf("set %s to %d characters", pathOf(e), n)
	case 7: // bad date
		e := pick(lv)
		v := badDates[rng.IntN(len(badDates))]
		e.SetText(v)
		return fmt.Sprintf("set %s = %q", pathOf(e), v)
	case 8: // bad decimal
		e := pick(lv)
		v := badDecimals[rng.IntN(len(badDecimals))]
		e.SetText(v)
		return fmt.Sprintf("set %s = %q", pathOf(e), v)
	case 9: // wrong namespace
		e := pick(all)
		ns := []string{"http://crd.gov.pl/wzor/2023/06/29/12648/", "urn:example:other", ""}[rng.IntN(3)]
		e.Space = ""
		if a := e.SelectAttr("xmlns"); a != nil {
			e.RemoveAttr("xmlns")
		}
		e.CreateAttr("xmlns", ns)
		return fmt.Sprintf("namespace of %s = %q", pathOf(e), ns)
	case 10: // unknown element
		p := pick(all)
		u := etree.NewElement([]string{"Nieznany", "Uwagi", "P_999", "Opis"}[rng.IntN(4)])
		u.SetText("x")
		kids := p.ChildElements()
		idx := 0
		if len(kids) > 0 {
			idx = kids[rng.IntN(len(kids))].Index()
		}
		p.InsertChildAt(idx, u)
		return "insert unknown " + u.Tag + " into " + pathOf(p)
	case 11: // rename to a sibling's or cousin's name
		e := pick(nonRoot)
		o := pick(nonRoot)
		old := pathOf(e)
		e.Tag = o.Tag
		return "rename " + old + " to " + o.Tag
	case 12: // empty or whitespace-padded text
		e := pick(lv)
		switch rng.IntN(3) {
		case 0:
			e.SetText("")
			return "empty " + pathOf(e)
		case 1:
			e.SetText(" " + e.Text() + " ")
			return "pad " + pathOf(e)
		default:
			e.SetText(e.Text() + "\n")
			return "newline after " + pathOf(e)
		}
	case 13: // attributes
		e := pick(all)
		switch rng.IntN(3) {
		case 0:
			e.CreateAttr("nieznany", "1")
			return "add attribute to " + pathOf(e)
		case 1:
			if len(e.Attr) > 0 {
				a := e.Attr[rng.IntN(len(e.Attr))]
				if a.Space == "xmlns" || a.Key == "xmlns" {
					return "keep namespace declaration"
				}
				e.RemoveAttr(a.FullKey())
				return "remove attribute " + a.Key + " of " + pathOf(e)
			}
			return "no attribute"
		default:
			for i := range e.Attr {
				if e.Attr[i].Space == "" && e.Attr[i].Key != "xmlns" {
					e.Attr[i].Value = e.Attr[i].Value + "X"
					return "change attribute " + e.Attr[i].Key + " of " + pathOf(e)
				}
			}
			return "no attribute"
		}
	case 14: // text inside element-only content, or child inside a leaf
		if rng.IntN(2) == 0 {
			p := pick(all)
			if len(p.ChildElements()) > 0 {
				p.InsertChildAt(0, etree.NewText("tekst"))
				return "text in " + pathOf(p)
			}
			return "no parent"
		}
		e := pick(lv)
		e.AddChild(etree.NewElement("X"))
		return "child in leaf " + pathOf(e)
	default: // copy a value from one leaf to another
		a, b := pick(lv), pick(lv)
		a.SetText(b.Text())
		return fmt.Sprintf("set %s = value of %s", pathOf(a), pathOf(b))
	}
}
