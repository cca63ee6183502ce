package ksef

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/ksef2/ksef/internal/textsafe"
)

// SanitizeText returns s with every character that could act on a
// terminal or disguise text escaped in Go syntax: C0 control characters
// other than the tab (so also newlines, ESC and with it ANSI/OSC
// sequences), DEL, C1 control characters, the Unicode bidirectional
// formatting characters (U+061C, U+200E, U+200F, U+202A-U+202E,
// U+2066-U+2069) and invalid UTF-8. The client applies it to server-provided
// text in Error() strings and log attributes; the fields of [APIError],
// [StatusError] and [SystemWarning] keep the text as sent.
func SanitizeText(s string) string { return textsafe.Escape(s, false) }

// minSecretLen is the shortest secret redacted from server text: shorter
// values would match ordinary words.
const minSecretLen = 8

// redactBytes replaces every occurrence of a secret in b by "REDACTED".
func redactBytes(b []byte, secrets []Secret) []byte {
	for _, s := range secrets {
		if len(s) < minSecretLen || !bytes.Contains(b, []byte(s)) {
			continue
		}
		b = bytes.ReplaceAll(b, []byte(s), []byte(redacted))
	}
	return b
}

// redactString replaces every occurrence of a secret in s by "REDACTED".
func redactString(s string, secrets []Secret) string {
	for _, sec := range secrets {
		if len(sec) >= minSecretLen {
			s = strings.ReplaceAll(s, string(sec), redacted)
		}
	}
	return s
}

type secretsKey struct{}

// withSecrets returns a context whose requests redact the secrets from
// server-provided text (error bodies, warnings): e.g. the KSeF token of a
// login, which is sent encrypted and so is not a request's bearer.
func withSecrets(ctx context.Context, secrets ...Secret) context.Context {
	prev, _ := ctx.Value(secretsKey{}).([]Secret)
	return context.WithValue(ctx, secretsKey{}, append(append([]Secret(nil), prev...), secrets...))
}

// secretHolder is implemented by authenticators that can list the tokens
// they hold, so that the client redacts them from server text.
type secretHolder interface {
	heldSecrets() []Secret
}

// heldSecrets returns the access and refresh tokens.
func (m *TokenManager) heldSecrets() []Secret {
	m.mu.Lock()
	defer m.mu.Unlock()
	return []Secret{m.access.Token, m.refresh.Token}
}

func (t StaticToken) heldSecrets() []Secret { return []Secret{Secret(t)} }

// requestSecrets lists what must never appear in server text reported for
// r: the bearer sent, the tokens held by the client's authenticator and
// the secrets of ctx.
func (c *Client) requestSecrets(ctx context.Context, r *request, token Secret) []Secret {
	out := []Secret{token, r.bearer}
	if h, ok := c.cfg.auth.(secretHolder); ok {
		out = append(out, h.heldSecrets()...)
	}
	if s, ok := ctx.Value(secretsKey{}).([]Secret); ok {
		out = append(out, s...)
	}
	return out
}

// scrubStatusError redacts secrets from the text fields of a *StatusError
// in err's chain (its Error() is computed from them).
func scrubStatusError(err error, secrets ...Secret) {
	var se *StatusError
	if errors.As(err, &se) {
		se.Description = redactString(se.Description, secrets)
		for i, d := range se.Details {
			se.Details[i] = redactString(d, secrets)
		}
	}
}

// ErrBodyIdleTimeout is matched by the error of a request whose response
// body stopped arriving for longer than the idle timeout (see
// [WithBodyIdleTimeout]).
var ErrBodyIdleTimeout = errors.New("ksef: response body idle timeout")

// defaultBodyIdleTimeout is the longest a response body may pause.
const defaultBodyIdleTimeout = time.Minute

// idleBody is a response body that cancels its request when no data
// arrived for idle: a server that sends headers and then trickles or stops
// cannot block a read forever.
type idleBody struct {
	rc     io.ReadCloser
	idle   time.Duration
	cancel context.CancelFunc
	timer  *time.Timer

	mu      sync.Mutex
	expired bool
}

func newIdleBody(rc io.ReadCloser, idle time.Duration, cancel context.CancelFunc) *idleBody {
	if idle <= 0 {
		idle = defaultBodyIdleTimeout
	}
	b := &idleBody{rc: rc, idle: idle, cancel: cancel}
	b.timer = time.AfterFunc(idle, func() {
		b.mu.Lock()
		b.expired = true
		b.mu.Unlock()
		cancel()
	})
	return b
}

// Read reads from the body and re-arms the idle timer after data arrived.
func (b *idleBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 {
		b.timer.Reset(b.idle)
	}
	if err != nil && err != io.EOF {
		b.mu.Lock()
		expired := b.expired
		b.mu.Unlock()
		if expired {
			return n, fmt.Errorf("%w: no data for %s", ErrBodyIdleTimeout, b.idle)
		}
	}
	return n, err
}

// Close closes the body and releases the request's context.
func (b *idleBody) Close() error {
	b.timer.Stop()
	err := b.rc.Close()
	b.cancel()
	return err
}
