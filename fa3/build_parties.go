package fa3

import (
	"strings"
)

func (b *builder) address(field string, p Party, required bool) *TAdres {
	if p.AddressLine1 == "" && p.AddressLine2 == "" && p.CountryCode == "" && !required {
		return nil
	}
	b.text(field+".addressLine1", p.AddressLine1, 512, true)
	b.text(field+".addressLine2", p.AddressLine2, 512, false)
	cc := p.CountryCode
	if cc == "" {
		cc = "PL"
	}
	if len(cc) != 2 || strings.ToUpper(cc) != cc {
		b.fail("%s.countryCode %q is not a two-letter ISO 3166 code", field, cc)
	}
	a := &TAdres{KodKraju: TKodKraju(cc), AdresL1: TZnakowy512(p.AddressLine1)}
	if p.AddressLine2 != "" {
		a.AdresL2 = ptr(TZnakowy512(p.AddressLine2))
	}
	return a
}

func (b *builder) contacts(field string, p Party) (email *TAdresEmail, phone *TNumerTelefonu) {
	if p.Email != "" {
		if !strings.Contains(p.Email, "@") || len(p.Email) < 3 || len(p.Email) > 255 {
			b.fail("%s.email %q is not an e-mail address", field, p.Email)
		}
		email = ptr(TAdresEmail(p.Email))
	}
	if p.Phone != "" {
		b.text(field+".phone", p.Phone, 16, false)
		phone = ptr(TNumerTelefonu(p.Phone))
	}
	return email, phone
}

func (b *builder) seller(p Party) Podmiot1 {
	b.nip("seller.nip", p.NIP)
	b.text("seller.name", p.Name, 512, true)
	var s Podmiot1
	s.DaneIdentyfikacyjne = TPodmiot1{NIP: TNrNIP(p.NIP), Nazwa: TZnakowy512(p.Name)}
	if a := b.address("seller", p, true); a != nil {
		s.Adres = *a
	}
	if e, t := b.contacts("seller", p); e != nil || t != nil {
		s.DaneKontaktowe = []DaneKontaktowe{{Email: e, Telefon: t}}
	}
	return s
}

func (b *builder) buyer(p Party, simplified bool) Podmiot2 {
	var s Podmiot2
	id := &s.DaneIdentyfikacyjne
	ids := 0
	for _, v := range []string{p.NIP, p.EUVATNumber, p.ForeignID} {
		if v != "" {
			ids++
		}
	}
	switch {
	case ids > 1:
		b.fail("buyer: give only one of nip, euVatNumber and foreignId")
	case p.NIP != "" || simplified:
		b.nip("buyer.nip", p.NIP)
		id.NIP = ptr(TNrNIP(p.NIP))
	case p.EUVATNumber != "":
		v := p.EUVATNumber
		if len(v) < 4 || strings.ToUpper(v[:2]) != v[:2] || strings.Trim(v[:2], "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			b.fail("buyer.euVatNumber %q must start with a two-letter EU country code", v)
		} else {
			id.KodUE = ptr(TKodyKrajowUE(v[:2]))
			id.NrVatUE = ptr(TNrVatUE(v[2:]))
		}
	case p.ForeignID != "":
		b.text("buyer.foreignId", p.ForeignID, 50, false)
		if p.ForeignIDCountry != "" {
			id.KodKraju = ptr(TKodKraju(p.ForeignIDCountry))
		}
		id.NrID = ptr(p.ForeignID)
	default:
		id.BrakID = ptr(TWybor1_1)
	}
	b.text("buyer.name", p.Name, 512, !simplified)
	if p.Name != "" {
		id.Nazwa = ptr(TZnakowy512(p.Name))
	}
	s.Adres = b.address("buyer", p, !simplified)
	if e, t := b.contacts("buyer", p); e != nil || t != nil {
		s.DaneKontaktowe = []Podmiot2DaneKontaktowe{{Email: e, Telefon: t}}
	}
	s.JST = "2"
	s.GV = "2"
	return s
}
