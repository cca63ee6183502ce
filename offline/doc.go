// Package offline issues invoices when KSeF cannot be used and sends them
// later: the offline modes of KSeF (offline24, KSeF unavailability,
// failure and total failure, tryby-offline.md) with the legal sending
// deadline of each ([ComputeDeadline], counted in business days with the
// Polish public holidays of any year, [Holidays]), a durable queue of
// invoices issued offline that sends them earliest deadline first
// ([Queue]), technical corrections of rejected offline invoices, and the
// link to KSeF's status service Latarnia (package latarnia) that says
// when a failure or maintenance is declared ([ModeFromStatus],
// [OutagesFromMessages]).
//
// The package is a leaf: the root package ksef does not import it.
package offline
