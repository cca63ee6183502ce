package sendcmd

import (
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// forceProgress draws the progress bar whatever stderr is (tests).
var forceProgress = false

// progress is the progress bar of `ksef send` on stderr; it draws nothing
// unless stderr is a terminal, so pipes and log files stay quiet.
type progress struct {
	w              io.Writer // nil: quiet
	total          int
	done, failures int
}

func newProgress(stderr io.Writer, total int) *progress {
	p := &progress{total: total}
	if f, ok := stderr.(*os.File); (ok && term.IsTerminal(int(f.Fd()))) || forceProgress {
		p.w = stderr
	}
	if total > 0 {
		p.draw()
	}
	return p
}

// add counts one outcome and redraws the bar. The Sender calls it one call
// at a time.
func (p *progress) add(ok bool) {
	p.done++
	if !ok {
		p.failures++
	}
	p.draw()
}

const barWidth = 30

func (p *progress) draw() {
	if p.w == nil || p.total == 0 {
		return
	}
	n := p.done * barWidth / p.total
	fmt.Fprintf(p.w, "\r[%s%s] %d/%d sent", strings.Repeat("=", n), strings.Repeat(" ", barWidth-n), p.done, p.total)
	if p.failures > 0 {
		fmt.Fprintf(p.w, ", %d not in KSeF", p.failures)
	}
}

// finish ends the bar's line.
func (p *progress) finish() {
	if p.w != nil && p.total > 0 {
		fmt.Fprintln(p.w)
	}
}
