package rt

import (
	"encoding/binary"
	"sort"
	"sync/atomic"
)

// maxCachedTransitions bounds the transition cache of one complex type.
const maxCachedTransitions = 4096

// stepCounter numbers explorations process-wide: frames shared through
// the transition cache record the exploration that started their
// iteration, so the numbers must never repeat between matchers.
var stepCounter atomic.Int64

// frame is one level of a content-model configuration: particle p has
// completed count iterations (occurrences for an element); for a group in
// the middle of an iteration idx is the index of the active child. Frames
// are immutable and shared between configurations.
type frame struct {
	p     *Particle
	count int
	idx   int
	// iterStart is the step in which the current iteration of a group
	// began; an iteration that ends in the step it began consumed nothing.
	iterStart int
	parent    *frame
}

// matcher runs a content model over the sequence of child elements of one
// element. It simulates the particle tree directly, keeping the set of
// configurations reachable after each child, so nested groups with
// minOccurs/maxOccurs need no automaton construction.
type matcher struct {
	ct    *ComplexType
	root  *Particle
	cfgs  []*frame
	step  int
	start bool
	// x is reused by match to avoid an allocation per child.
	x explorer
	// key is the buffer for transition cache keys.
	key []byte
}

func newMatcher(ct *ComplexType) *matcher {
	ct.numberParticles()
	m := &matcher{ct: ct, root: ct.Content, start: true}
	if ct.noCache {
		m.ct = nil
	}
	return m
}

// stateKey appends a structural encoding of the current configurations
// and the child name to b (frames are immutable, so equal keys mean
// interchangeable states).
func (m *matcher) stateKey(b []byte, ns, name string) []byte {
	if m.start {
		b = append(b, 0xFF)
	}
	for _, f := range m.cfgs {
		for ; f != nil; f = f.parent {
			b = binary.AppendUvarint(b, uint64(f.p.id))
			b = binary.AppendUvarint(b, uint64(f.count))
			b = binary.AppendUvarint(b, uint64(f.idx))
		}
		b = append(b, 0xFE)
	}
	b = append(b, ns...)
	b = append(b, 0xFD)
	return append(b, name...)
}

type explorer struct {
	m      *matcher
	ns     string
	name   string
	end    bool
	out    []*frame
	accept bool
	// collect gathers the names that would be accepted (for messages).
	collect map[string]bool
	depth   int
}

// match consumes one child element and returns its declaration, or nil
// when the element is not allowed here (the configuration is then kept).
func (m *matcher) match(ns, name string) *Element {
	// Fast path: another occurrence of the element just matched. The
	// schema's unique particle attribution guarantees no other particle
	// competes for the same name.
	if len(m.cfgs) == 1 {
		f := m.cfgs[0]
		if e := f.p.Element; e != nil && e.Name == name && e.Namespace == ns && (f.p.Max == Unbounded || f.count < f.p.Max) {
			m.cfgs[0] = &frame{p: f.p, count: f.count + 1, parent: f.parent}
			return e
		}
	}
	m.key = m.stateKey(m.key[:0], ns, name)
	if ct := m.ct; ct != nil {
		ct.mu.RLock()
		next, ok := ct.trans[string(m.key)]
		ct.mu.RUnlock()
		if ok {
			if len(next) == 0 {
				return nil
			}
			m.start = false
			m.cfgs = append(m.cfgs[:0], next...)
			return m.cfgs[0].p.Element
		}
	}
	m.step = int(stepCounter.Add(1))
	x := &m.x
	*x = explorer{m: m, ns: ns, name: name, out: x.out[:0]}
	m.explore(x)
	next := append([]*frame(nil), dedup(x.out)...)
	if ct := m.ct; ct != nil {
		ct.mu.Lock()
		if ct.trans == nil {
			ct.trans = map[string][]*frame{}
		}
		if len(ct.trans) < maxCachedTransitions {
			ct.trans[string(m.key)] = next
		}
		ct.mu.Unlock()
	}
	if len(next) == 0 {
		return nil
	}
	m.start = false
	m.cfgs = append(m.cfgs[:0], next...)
	return m.cfgs[0].p.Element
}

// expected lists the element names acceptable at the current position,
// plus "end of content" when the content may end here.
func (m *matcher) expected() (names []string, canEnd bool) {
	m.step = int(stepCounter.Add(1))
	x := &explorer{m: m, end: true, collect: map[string]bool{}}
	m.explore(x)
	for n := range x.collect {
		names = append(names, n)
	}
	sort.Strings(names)
	return names, x.accept
}

// canEnd reports whether the content may end after the children seen.
func (m *matcher) canEnd() bool {
	m.step = int(stepCounter.Add(1))
	x := &explorer{m: m, end: true}
	m.explore(x)
	return x.accept
}

func (m *matcher) explore(x *explorer) {
	if m.start {
		x.boundary(&frame{p: m.root, iterStart: -1})
		return
	}
	for _, f := range m.cfgs {
		x.boundary(f)
	}
}

// boundary explores the moves of frame f standing between iterations.
func (x *explorer) boundary(f *frame) {
	if x.depth > 10000 {
		return
	}
	x.depth++
	x.boundary1(f)
	x.depth--
}

func (x *explorer) boundary1(f *frame) {
	p := f.p
	if p.Kind == ParticleElement {
		if p.Max == Unbounded || f.count < p.Max {
			if x.collect != nil {
				x.collect[p.Element.Name] = true
			}
			if !x.end && p.Element.Name == x.name && p.Element.Namespace == x.ns {
				x.out = append(x.out, &frame{p: p, count: f.count + 1, parent: f.parent})
			}
		}
		if f.count >= p.Min {
			x.childDone(f.parent)
		}
		return
	}
	count := f.count
	emptyIter := count > 0 && f.iterStart == x.m.step
	if emptyIter {
		// An iteration that consumed nothing can repeat freely: the
		// minimum is reachable without input, but looping again is
		// useless. When the minimum was already met before this empty
		// iteration, the exit has been explored already.
		if count-1 >= p.Min {
			return
		}
		count = p.Min
	} else if p.Max == Unbounded || count < p.Max {
		x.startIteration(&frame{p: p, count: count, iterStart: x.m.step, parent: f.parent})
	}
	if count >= p.Min {
		x.childDone(f.parent)
	}
}

func (x *explorer) startIteration(g *frame) {
	p := g.p
	if len(p.Children) == 0 {
		x.childDone(&frame{p: p, count: g.count, idx: 0, iterStart: g.iterStart, parent: g.parent})
		return
	}
	switch p.Kind {
	case ParticleSequence:
		g.idx = 0
		x.boundary(&frame{p: p.Children[0], iterStart: -1, parent: g})
	case ParticleChoice:
		for i, c := range p.Children {
			gi := &frame{p: p, count: g.count, idx: i, iterStart: g.iterStart, parent: g.parent}
			x.boundary(&frame{p: c, iterStart: -1, parent: gi})
		}
	}
}

// childDone continues after the active child of group g has finished.
func (x *explorer) childDone(g *frame) {
	if g == nil {
		if x.end {
			x.accept = true
		}
		return
	}
	p := g.p
	if p.Kind == ParticleSequence && g.idx+1 < len(p.Children) {
		ng := &frame{p: p, count: g.count, idx: g.idx + 1, iterStart: g.iterStart, parent: g.parent}
		x.boundary(&frame{p: p.Children[g.idx+1], iterStart: -1, parent: ng})
		return
	}
	x.boundary(&frame{p: p, count: g.count + 1, iterStart: g.iterStart, parent: g.parent})
}

func sameFrames(a, b *frame) bool {
	for a != nil && b != nil {
		if a == b {
			return true
		}
		if a.p != b.p || a.count != b.count || a.idx != b.idx {
			return false
		}
		a, b = a.parent, b.parent
	}
	return a == nil && b == nil
}

func dedup(fs []*frame) []*frame {
	if len(fs) < 2 {
		return fs
	}
	out := fs[:1]
	for _, f := range fs[1:] {
		dup := false
		for _, g := range out {
			if sameFrames(f, g) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, f)
		}
	}
	return out
}
