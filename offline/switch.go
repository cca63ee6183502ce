package offline

import (
	"context"
	"sync"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/ksefsend"
	"github.com/ksef2/ksef/latarnia"
)

// Switch decides whether invoices are issued offline now: when told so
// ([Switch.Force], e.g. the program's own connection is down: offline24),
// or when Latarnia reports maintenance or a failure of KSeF. It caches
// Latarnia's answer for TTL. It is safe for concurrent use.
type Switch struct {
	// Status is the Latarnia client; nil consults only Force.
	Status *latarnia.Client
	// TTL is how long an answer of Latarnia is reused (default 30 s).
	TTL time.Duration
	// Now returns the current time (default time.Now).
	Now func() time.Time

	mu      sync.Mutex
	forced  Mode
	mode    Mode
	off     bool
	at      time.Time
	outages []Outage
	err     error
}

// Force makes the switch report mode m whatever Latarnia says (for
// example [Offline24] when the program cannot reach KSeF); "" lets
// Latarnia decide again.
func (s *Switch) Force(m Mode) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forced = m
}

func (s *Switch) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Mode returns the offline mode that applies now and whether one applies.
// When Latarnia cannot be asked, the last answer stands (none: online).
func (s *Switch) Mode(ctx context.Context) (Mode, bool) {
	s.refresh(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.forced != "" {
		return s.forced, true
	}
	return s.mode, s.off
}

// Outages returns the outages Latarnia announced, as of the last answer.
func (s *Switch) Outages(ctx context.Context) []Outage {
	s.refresh(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Outage(nil), s.outages...)
}

// Err returns the error of the last attempt to ask Latarnia, if any.
func (s *Switch) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Invalidate forgets the cached answer: the next call asks Latarnia.
func (s *Switch) Invalidate() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.at = time.Time{}
}

func (s *Switch) refresh(ctx context.Context) {
	if s.Status == nil {
		return
	}
	ttl := s.TTL
	if ttl <= 0 {
		ttl = 30 * time.Second
	}
	now := s.now()
	s.mu.Lock()
	fresh := !s.at.IsZero() && now.Sub(s.at) < ttl
	s.mu.Unlock()
	if fresh {
		return
	}
	st, err := s.Status.Status(ctx)
	var ms []latarnia.Message
	if err == nil {
		ms, err = s.Status.Messages(ctx)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
	if err != nil {
		return
	}
	s.mode, s.off = ModeFromStatus(st)
	s.outages = OutagesFromMessages(ms, now)
	s.at = now
}

// Issuing returns the offline issuing of a [ksefsend.Sender] that, while
// sw reports an offline mode, keeps each invoice (of form) in q (with the outages sw
// knows, for its deadline) instead of sending it.
func (q *Queue) Issuing(sw *Switch, form ksef.Form) *ksefsend.OfflineIssuing {
	return &ksefsend.OfflineIssuing{
		Check: func(ctx context.Context) (string, bool) {
			m, ok := sw.Mode(ctx)
			return string(m), ok
		},
		Keep: func(ctx context.Context, in ksefsend.Input, mode string) (string, error) {
			m, err := ParseMode(mode)
			if err != nil {
				return "", err
			}
			e, err := q.Add(AddParams{Name: in.Name, XML: in.Data, Form: form, Mode: m, Outages: sw.Outages(ctx)})
			if err != nil {
				return "", err
			}
			return e.ID, nil
		},
	}
}
