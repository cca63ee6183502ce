package sendcmd

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/ksef2/ksef"

	"golang.org/x/term"
)

// forceProgress draws the progress bar whatever stderr is (tests).
var forceProgress = false

// progress is the progress bar of `ksef send` on stderr; it draws nothing
// unless stderr is a terminal, so pipes and log files stay quiet.
type progress struct {
	mu             sync.Mutex
	w              io.Writer // nil: quiet
	total          int
	done, failures int
	// Batch sending: invoices packed, and the parts and bytes uploaded
	// of the current session.
	packed int
	up     ksef.BatchProgress
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
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	if !ok {
		p.failures++
	}
	p.draw()
}

// pack shows how many invoices were packed for batch sessions.
func (p *progress) pack(st ksef.BatchPackProgress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.packed = st.Invoices + st.Rejected
	p.draw()
}

// upload shows the upload of a batch session's parts.
func (p *progress) upload(st ksef.BatchProgress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.up = st
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
	if p.packed > 0 {
		fmt.Fprintf(p.w, " | packed %d", p.packed)
	}
	if p.up.PartsTotal > 0 {
		fmt.Fprintf(p.w, " | upload %d/%d parts, %s/%s", p.up.PartsSent, p.up.PartsTotal, mb(p.up.BytesSent), mb(p.up.BytesTotal))
	}
	// Clear what a longer line drew before.
	fmt.Fprint(p.w, "\x1b[K")
}

// mb formats a byte count in kB or MB (10^3, 10^6 bytes, as KSeF's
// limits).
func mb(n int64) string {
	if n < 1e6 {
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/1e6)
}

// finish ends the bar's line.
func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.w != nil && p.total > 0 {
		fmt.Fprintln(p.w)
	}
}
