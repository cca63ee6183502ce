package clitest

import (
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/cmd/ksef/internal/profile"
	"github.com/ksef2/ksef/fa3"
	"github.com/ksef2/ksef/ksefsim"
)

// LogIn logs in to the simulator at base with a new test identity (a
// company seal, owner of its NIP) through the SDK and stores the tokens as
// profile name of c, as `ksef auth login` would. It returns the NIP and the
// authenticated client.
func (c *CLI) LogIn(sim *ksefsim.Simulator, base, name string) (string, *ksef.AuthenticatedClient) {
	t := c.T
	t.Helper()
	id, err := sim.NewTestIdentity()
	if err != nil {
		t.Fatal(err)
	}
	cl, err := ksef.NewClient(ksef.WithBaseURL(base))
	if err != nil {
		t.Fatal(err)
	}
	a, err := cl.Auth.LoginWithCertificate(t.Context(), ksef.MustContext(ksef.NIPContext(id.NIP)), id.Certificate, id.Key, nil)
	if err != nil {
		t.Fatal(err)
	}
	access, refresh := a.TokenManager().Tokens()
	p := &profile.Profile{Environment: "test", BaseURL: base, ContextType: "Nip", ContextValue: id.NIP,
		AuthReference: a.ReferenceNumber, LoggedInAt: time.Now(),
		AccessToken: access.Token.Reveal(), AccessValidUntil: access.ValidUntil,
		RefreshToken: refresh.Token.Reveal(), RefreshValidUntil: refresh.ValidUntil}
	if err := c.Store().Put(name, p); err != nil {
		t.Fatal(err)
	}
	return id.NIP, a
}

// FA3Invoice is a valid FA(3) invoice of seller nip numbered number,
// issued today (KSeF refuses invoices dated in the future).
func FA3Invoice(t testing.TB, nip, number string) []byte {
	t.Helper()
	today := time.Now().Format(time.DateOnly)
	b, err := fa3.BuildXML(fa3.InvoiceParams{
		Number: number, IssueDate: today, IssuePlace: "Warszawa", SaleDate: today, Created: time.Now().Add(-time.Minute),
		Seller: fa3.Party{NIP: nip, Name: "Sprzedawca S.A.", AddressLine1: "ul. Kwiatowa 1", AddressLine2: "00-001 Warszawa"},
		Buyer:  fa3.Party{NIP: "7773152431", Name: "F.H.U. Jan Kowalski", AddressLine1: "ul. Polna 1", AddressLine2: "00-001 Warszawa"},
		Lines:  []fa3.Line{{Name: "Usługa", Unit: "szt.", Quantity: "1", UnitPrice: "100", Rate: "23"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}
