// Package rt is the runtime of the XSD compiler: the table types that
// generated code fills in (simple types with their facets, complex types
// with content models and attributes, element declarations) and the
// streaming validator that checks a document against them.
//
// Generated packages (fa3, fa2, farr) build a [Schema] once at init time and
// call [Schema.Validate]; users never import this package directly.
package rt

import (
	"fmt"
	"regexp"
	"sync"
)

// Kind is the primitive lexical space a simple type is checked against.
type Kind uint8

// The primitive lexical spaces supported by the compiler.
const (
	KindString Kind = iota
	KindDecimal
	KindInteger
	KindDate
	KindDateTime
	KindGYear
	KindBoolean
)

// String returns the XSD name of the primitive kind.
func (k Kind) String() string {
	switch k {
	case KindString:
		return "string"
	case KindDecimal:
		return "decimal"
	case KindInteger:
		return "integer"
	case KindDate:
		return "date"
	case KindDateTime:
		return "dateTime"
	case KindGYear:
		return "gYear"
	case KindBoolean:
		return "boolean"
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// WhiteSpace is the value of the whiteSpace facet.
type WhiteSpace uint8

// The three whiteSpace facet values.
const (
	Preserve WhiteSpace = iota
	Replace
	Collapse
)

// Pattern is one XSD pattern facet together with its RE2 translation.
type Pattern struct {
	// Source is the pattern exactly as written in the schema.
	Source string
	// RE is the anchored RE2 translation of Source.
	RE string
	re *regexp.Regexp
}

// NewPattern compiles the RE2 translation re of the XSD pattern src. It
// panics when re does not compile; the generator has checked it before.
func NewPattern(src, re string) *Pattern {
	return &Pattern{Source: src, RE: re, re: regexp.MustCompile(re)}
}

// Match reports whether the whole value matches the pattern.
func (p *Pattern) Match(s string) bool { return p.re.MatchString(s) }

// BoundOp is the comparison a range facet requires.
type BoundOp uint8

// The four range facets.
const (
	MinInclusive BoundOp = iota
	MaxInclusive
	MinExclusive
	MaxExclusive
)

// String returns the facet name.
func (o BoundOp) String() string {
	return [...]string{"minInclusive", "maxInclusive", "minExclusive", "maxExclusive"}[o]
}

// Bound is one range facet.
type Bound struct {
	Op    BoundOp
	Value string
}

// SimpleType is a compiled simple type: its primitive kind plus every
// facet collected along the derivation chain.
type SimpleType struct {
	// Name is the schema name ("tns:TZnakowy", "xsd:string") or "" when anonymous.
	Name       string
	Kind       Kind
	WhiteSpace WhiteSpace
	// Patterns holds one group per derivation step; the value must match
	// at least one pattern of every group.
	Patterns [][]*Pattern
	// Enumeration, when non-empty, lists the allowed values (most derived step).
	Enumeration []string
	// Length, MinLength and MaxLength are in characters; -1 when absent.
	Length, MinLength, MaxLength int
	// TotalDigits and FractionDigits are -1 when absent.
	TotalDigits, FractionDigits int
	// Bounds are the range facets of all derivation steps (all must hold).
	Bounds []Bound
	// FixedSize marks integer types derived from long, int, short or byte,
	// whose values libxml2 parses without skipping white space.
	FixedSize bool
	// Union, when non-empty, makes this a union type: the value must be
	// valid against at least one member.
	Union []*SimpleType
}

// Attribute is an attribute use of a complex type.
type Attribute struct {
	Name      string
	Namespace string
	Type      *SimpleType
	Required  bool
	// Fixed is the fixed value when HasFixed.
	Fixed    string
	HasFixed bool
}

// ParticleKind tells what a [Particle] is.
type ParticleKind uint8

// The particle kinds.
const (
	ParticleElement ParticleKind = iota
	ParticleSequence
	ParticleChoice
)

// Unbounded is the Max of a particle with maxOccurs="unbounded".
const Unbounded = -1

// Particle is a node of a content model.
type Particle struct {
	Kind     ParticleKind
	Min, Max int
	// Element is set for ParticleElement.
	Element *Element
	// Children are set for sequences and choices.
	Children []*Particle

	// id numbers the particle within its content model (for cache keys);
	// owner is the complex type that assigned it. A particle tree belongs
	// to one complex type; shared trees disable the transition cache.
	id    uint32
	owner *ComplexType
}

// ComplexType is a compiled complex type.
type ComplexType struct {
	Name       string
	Attributes []*Attribute
	// Content is the element content model; nil means empty content unless
	// Simple is set.
	Content *Particle
	// Simple is the type of the character content of a simpleContent type.
	Simple *SimpleType

	// trans caches content-model transitions (state key + child name →
	// next configurations), guarded by mu.
	mu    sync.RWMutex
	trans map[string][]*frame
	// ids numbers the particles of Content once; noCache is set when the
	// tree is shared with another complex type.
	ids     sync.Once
	noCache bool
}

// numberParticles gives every particle of the content model a distinct id.
func (t *ComplexType) numberParticles() {
	t.ids.Do(func() {
		var n uint32
		var walk func(p *Particle)
		walk = func(p *Particle) {
			n++
			if p.owner != nil && p.owner != t {
				t.noCache = true
				return
			}
			p.owner = t
			p.id = n
			for _, c := range p.Children {
				walk(c)
			}
		}
		if t.Content != nil {
			walk(t.Content)
		}
	})
}

// Element is an element declaration.
type Element struct {
	Name      string
	Namespace string
	// Exactly one of Simple and Complex is set.
	Simple  *SimpleType
	Complex *ComplexType
	// Fixed and Default are value constraints (HasFixed/HasDefault tell presence).
	Fixed      string
	HasFixed   bool
	Default    string
	HasDefault bool
}

// Limits are the KSeF acceptance limits checked before the schema.
type Limits struct {
	// MaxBytes is the size limit of a document without attachments (0 = none).
	MaxBytes int64
	// MaxBytesWithAttachment applies when AttachmentElement occurs (0 = none).
	MaxBytesWithAttachment int64
	// AttachmentElement is the local name of the element that marks an
	// invoice with attachments ("Zalacznik"), or "".
	AttachmentElement string
}

// Schema is a compiled schema ready to validate documents.
type Schema struct {
	// Package prefixes error strings ("fa3").
	Package string
	// Roots are the global element declarations a document may start with.
	Roots  []*Element
	Limits Limits
}
