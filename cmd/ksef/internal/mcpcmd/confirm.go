package mcpcmd

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"sync"
	"time"
)

// ConfirmationTTL is how long a confirmation token stays valid.
const ConfirmationTTL = 10 * time.Minute

// maxPending bounds the actions waiting for confirmation; the oldest is
// dropped when a new one would exceed it.
const maxPending = 64

// Errors of confirming an action.
var (
	ErrNoConfirmation    = errors.New("unknown, used or expired confirmation token: nothing was done; call the tool without a token for a new preview")
	ErrArgumentsChanged  = errors.New("the arguments differ from those of the preview: nothing was done; call the tool without a token for a new preview")
	ErrConfirmationOther = errors.New("the confirmation token belongs to another tool: nothing was done")
)

// action is a write waiting for its confirmation.
type action struct {
	tool    string
	session string   // MCP session that asked for the preview
	digest  [32]byte // of the tool's arguments without the token
	expires time.Time
	run     func(ctx context.Context) (any, error)
}

// confirmations keeps the pending writes by the SHA-256 of their
// one-time token (the token itself is not kept).
type confirmations struct {
	mu      sync.Mutex
	pending map[[32]byte]*action
	order   [][32]byte
	now     func() time.Time
}

func newConfirmations() *confirmations {
	return &confirmations{pending: map[[32]byte]*action{}, now: time.Now}
}

// issue stores a and returns its one-time token.
func (c *confirmations) issue(a *action) string {
	var b [20]byte
	rand.Read(b[:])
	tok := "confirm-" + base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:])
	key := sha256.Sum256([]byte(tok))
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expire()
	for len(c.order) >= maxPending {
		delete(c.pending, c.order[0])
		c.order = c.order[1:]
	}
	a.expires = c.now().Add(ConfirmationTTL)
	c.pending[key] = a
	c.order = append(c.order, key)
	return tok
}

// take removes and returns the action of token, checking that it was
// issued for tool, in session, for the same arguments (any arguments when
// anyArgs: the confirmation left them out). A token is used up by its
// first correct use; a wrong tool or arguments leave it pending.
func (c *confirmations) take(token, tool, session string, digest [32]byte, anyArgs bool) (*action, error) {
	key := sha256.Sum256([]byte(token))
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expire()
	a, ok := c.pending[key]
	if !ok || a.session != session {
		return nil, ErrNoConfirmation
	}
	if a.tool != tool {
		return nil, ErrConfirmationOther
	}
	if !anyArgs && subtle.ConstantTimeCompare(a.digest[:], digest[:]) != 1 {
		return nil, ErrArgumentsChanged
	}
	delete(c.pending, key)
	for i, k := range c.order {
		if k == key {
			c.order = append(c.order[:i], c.order[i+1:]...)
			break
		}
	}
	return a, nil
}

// expire drops the actions past their time. c.mu is held.
func (c *confirmations) expire() {
	now := c.now()
	kept := c.order[:0]
	for _, k := range c.order {
		if now.After(c.pending[k].expires) {
			delete(c.pending, k)
			continue
		}
		kept = append(kept, k)
	}
	c.order = kept
}
