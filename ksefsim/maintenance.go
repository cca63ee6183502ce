package ksefsim

// SetMaintenance starts (on) or ends (off) maintenance of the online
// sessions open now: while it lasts, sending an invoice to one of them is
// refused with 400/21184 "Sesja tymczasowo niedostępna" (API 2.8.1), as
// KSeF does during maintenance works; closing them and reading their
// status still work. Sessions opened after the call are not affected, so
// a client can send the remaining invoices in a new session, as KSeF's
// message suggests. Turning maintenance off makes every session usable
// again. The admin API offers it as POST /_sim/maintenance {"on": bool}.
func (s *Simulator) SetMaintenance(on bool) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sess := range s.st.online().sessions {
		if !on {
			sess.maintenance = false
		} else if sess.status(now).Code == 100 {
			sess.maintenance = true
		}
	}
}
