// Package visual renders KSeF documents for people: FA(3) invoices and UPO
// confirmations, to self-contained HTML and to A4 PDF.
//
// Invoices are rendered from a view model, [Invoice], in which every amount
// is a decimal string (never a float) and every code is already in Polish
// words. [FromFA3] builds it from an FA(3) XML document (FA(2) documents
// are read too), [FromFaktura] from an invoice already parsed with package
// fa3; the KSeF number and the QR links, which are not part of the invoice
// XML, are set by the caller:
//
//	inv, err := visual.FromFA3(xmlBytes)
//	inv.KSeFNumber = ksefNumber                 // empty for an invoice not yet in KSeF
//	inv.VerificationLink = kod1                 // KOD I, see package qr
//	inv.CertificateLink = kod2                  // KOD II, offline invoices only
//	err = visual.RenderInvoicePDF(w, inv)
//
// The printout follows what a Polish accountant expects: "Faktura VAT" with
// its number and the KSeF number, issue and sale dates, Sprzedawca and
// Nabywca (and any third parties), the table of lines (Lp., Nazwa towaru
// lub usługi, Ilość, J.m., Cena jedn. netto, Wartość netto, Stawka VAT), a
// summary per VAT rate, "Razem do zapłaty" (or "Do zwrotu" for a negative
// total, printed without its minus) with the amount in words,
// payment terms and bank accounts, the annotations the law requires (e.g.
// "mechanizm podzielonej płatności"), the footer, and the QR codes: KOD I
// labelled with the KSeF number (or "OFFLINE" before the invoice has one)
// and, for offline invoices, KOD II labelled "CERTYFIKAT".
//
// [RenderUPOHTML] and [RenderUPOPDF] print a UPO parsed by package upo: the
// session, its context and the accepted documents with their KSeF numbers,
// dates and hashes.
//
// PDFs embed the Go fonts (golang.org/x/image/font/gofont), which cover the
// full Polish alphabet; characters a font cannot draw print as "?". Long
// names wrap, long tables continue on new pages with their header repeated,
// and every page is numbered. Output is deterministic: the PDF carries no
// creation date, so equal input renders to byte-identical files.
//
// # Not printed
//
// Attachments (Zalacznik), transport and delivery details
// (WarunkiTransakcji/Transport, WarunkiDostawy), the details of new means of
// transport (NowySrodekTransportu), partial advance data
// (ZaliczkaCzesciowa), the corrected party data of a correction (Podmiot1K,
// Podmiot2K), and per-line GTU, procedure, excise and exchange-rate codes
// are not part of the printout. Callers who need them can add them to
// [Invoice.AdditionalInfo].
package visual
