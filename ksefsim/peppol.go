package ksefsim

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/ksef2/ksef"
)

var peppolIDPattern = regexp.MustCompile(`^P[A-Z]{2}[0-9]{6}$`)

// AddPeppolProvider registers a Peppol service provider, as KSeF does when
// a provider first authenticates with its Peppol certificate; it is then
// listed by GET /peppol/query. Providers that logged in to a PeppolId
// context are listed without it (named after their identifier).
func (s *Simulator) AddPeppolProvider(id, name string) error {
	if !peppolIDPattern.MatchString(id) {
		return fmt.Errorf("ksefsim: AddPeppolProvider: %q is not a Peppol ID (P + 2 letters + 6 digits)", id)
	}
	if name == "" || len([]rune(name)) > 256 {
		return fmt.Errorf("ksefsim: AddPeppolProvider: name must have 1-256 characters")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.admin().peppol[id] = &ksef.PeppolProvider{ID: id, Name: name, DateCreated: s.now().UTC()}
	return nil
}

// handlePeppolQuery serves GET /peppol/query (public): the providers by
// registration date, in pages of pageSize (10-100) at pageOffset.
func (s *Simulator) handlePeppolQuery(w http.ResponseWriter, r *http.Request) *apiError {
	size, off, e := offsetPageMax(r, 100)
	if e != nil {
		return e
	}
	now := s.now()
	s.mu.Lock()
	all := map[string]ksef.PeppolProvider{}
	for _, op := range s.st.authOrder {
		if op.ctx.Type == "PeppolId" && op.status(now).Code == 200 {
			if _, ok := all[op.ctx.Value]; !ok {
				all[op.ctx.Value] = ksef.PeppolProvider{ID: op.ctx.Value, Name: "Dostawca usług Peppol " + op.ctx.Value, DateCreated: op.started.UTC()}
			}
		}
	}
	for id, p := range s.st.admin().peppol {
		all[id] = *p
	}
	s.mu.Unlock()
	list := make([]ksef.PeppolProvider, 0, len(all))
	for _, p := range all {
		list = append(list, p)
	}
	slices.SortFunc(list, func(a, b ksef.PeppolProvider) int {
		if c := a.DateCreated.Compare(b.DateCreated); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	items, more := offsetSlice(list, off, size)
	writeOK(w, http.StatusOK, ksef.QueryPeppolProvidersResponse{PeppolProviders: items, HasMore: more})
	return nil
}
