package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// Default values of --timeout. A command's default is set with
// [SetTimeout] on it or an ancestor; a command without one has
// DefaultTimeout. --timeout 0 waits without limit.
const (
	// DefaultTimeout bounds the commands that talk to KSeF and have no
	// default of their own, e.g. `ksef auth login` (which waits for KSeF to
	// verify the signature or token).
	DefaultTimeout = 2 * time.Minute
	// StatusTimeout bounds quick queries: `ksef auth status`, `auth
	// sessions`, `auth logout`.
	StatusTimeout = 30 * time.Second
	// NoTimeout is the default of commands that run until stopped or
	// that work offline: `ksef sim serve`, `ksef demo`, the document
	// commands.
	NoTimeout time.Duration = 0
)

const timeoutAnnotation = "ksef.timeout"

// SetTimeout makes d the default --timeout of cmd and of its subcommands
// without a default of their own, and returns cmd.
func SetTimeout(cmd *cobra.Command, d time.Duration) *cobra.Command {
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[timeoutAnnotation] = d.String()
	return cmd
}

// TimeoutOf returns the default --timeout of cmd: its own, its nearest
// ancestor's, or [DefaultTimeout].
func TimeoutOf(cmd *cobra.Command) time.Duration {
	for c := cmd; c != nil; c = c.Parent() {
		if s, ok := c.Annotations[timeoutAnnotation]; ok {
			if d, err := time.ParseDuration(s); err == nil {
				return d
			}
		}
	}
	return DefaultTimeout
}

// TimeoutError is the error of a command stopped by --timeout. It wraps
// the error the command returned, which says what the command was waiting
// for (and wraps context.DeadlineExceeded).
type TimeoutError struct {
	// Command is the command without the program name, e.g. "auth login".
	Command string
	// Timeout is the limit that was reached.
	Timeout time.Duration
	// Explicit reports whether --timeout was given (otherwise the limit is
	// the command's default).
	Explicit bool
	// LastRequest describes the last HTTP exchange before the limit (method,
	// path template and status), "" when the command made none.
	LastRequest string
	// Err is the command's error.
	Err error
}

func (e *TimeoutError) Error() string {
	how := "its default --timeout"
	if e.Explicit {
		how = "--timeout"
	}
	msg := fmt.Sprintf("%s: gave up after %s (%s; give a longer --timeout, or --timeout 0 to wait without limit)", e.Command, e.Timeout, how)
	if e.LastRequest != "" {
		msg += "; " + e.LastRequest
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the command's error.
func (e *TimeoutError) Unwrap() []error { return []error{e.Err, context.DeadlineExceeded} }

// errTimeoutCause is the cause of the contexts --timeout cancels.
var errTimeoutCause = errors.New("timed out (--timeout)")

// startTimeout bounds cmd's context by its --timeout; Execute calls
// f.stopTimeout afterwards.
func (f *Factory) startTimeout(cmd *cobra.Command) {
	d := TimeoutOf(cmd)
	explicit := cmd.Flags().Changed("timeout")
	if explicit {
		d = f.Flags.Timeout
	}
	if d <= 0 {
		return
	}
	ctx, cancel := context.WithTimeoutCause(cmd.Context(), d, errTimeoutCause)
	cmd.SetContext(ctx)
	f.timeout = &timeoutRun{ctx: ctx, cancel: cancel, cmd: strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" "), d: d, explicit: explicit}
}

type timeoutRun struct {
	ctx      context.Context
	cancel   context.CancelFunc
	cmd      string
	d        time.Duration
	explicit bool
}

// stopTimeout releases the timer of --timeout and turns err into a
// *TimeoutError when the limit was reached.
func (f *Factory) stopTimeout(err error) error {
	t := f.timeout
	if t == nil {
		return err
	}
	f.timeout = nil
	reached := errors.Is(context.Cause(t.ctx), errTimeoutCause)
	t.cancel()
	if err == nil || !reached {
		return err
	}
	te := &TimeoutError{Command: t.cmd, Timeout: t.d, Explicit: t.explicit, Err: err}
	if f.http != nil {
		te.LastRequest = f.http.lastExchange()
	}
	return te
}
