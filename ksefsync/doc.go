// Package ksefsync keeps a local database up to date with every invoice of
// one or many KSeF contexts, using KSeF's incremental algorithm (the
// permanent-storage high-water mark, HWM), within KSeF's request limits,
// never missing an invoice and never holding one twice.
//
// # Algorithm
//
// Each context has one stream per subject type ([SubjectTypes]: Subject1
// issued, Subject2 received, Subject3, SubjectAuthorized). A stream reads
// windows of invoices by PermanentStorage date with
// restrictToPermanentStorageHwmDate (only data up to the HWM, which is
// final). After a truncated package (10,000 invoices or 1 GB) the next
// window starts at the package's lastPermanentStorageDate; otherwise at the
// HWM KSeF reported (or at the window's end when the HWM passed it).
// Invoices of the boundary instant come again and are deduplicated by KSeF
// number. The next window is known once a package's status is, so a stream
// fetches its next package while it stores the current one (at most two
// packages held; commits stay in order). A stream more than one window behind (a first run, [Options.Start])
// reads windows of at most 90 days (KSeF accepts 100); then the end is
// omitted and KSeF builds the biggest coherent package.
//
// # Stores
//
// A [Store] keeps the invoices (XML, metadata and key fields: seller,
// buyer, number, dates, amounts in minor units, currency), the streams
// they were read in, and a [Checkpoint] per stream. Each package and the
// next checkpoint commit in one transaction ([Stream.Commit]), so a crash
// at any point resumes exactly. Implementations: ksefsync/sqlitestore (one
// file, pure Go, WAL) and ksefsync/pgstore (PostgreSQL, shared by several
// workers: a stream is claimed with an advisory lock, so no two workers
// fetch it at once). ksefsync/storeurl opens either from "sqlite:FILE" or
// "postgres://…".
//
// # Sources and limits
//
// A [Source] reads one window. [ExportSource] is the one onto KSeF, built on
// the SDK's exports ([ksef.InvoicesService.Export], WaitExport and
// DownloadExport) of one context's authenticated client, which paces its
// requests per rate-limit group (20 exports an hour per context). A wait
// longer than the client's retry policy allows, and a 429 from KSeF, reach
// the engine as errors matching [ksef.ErrRateLimited]; the engine waits the
// full delay (announced on [Options.Logger] at Warn level), bounded by
// [Options.MaxRateLimitWait] and the context.
//
// # Running
//
// [Engine.Run] brings every stream up to the HWM once; [Engine.Watch]
// repeats it on a schedule (15 minutes or more keeps four streams inside
// the export limit); [Engine.Backfill] reads an older range in windows
// under its own checkpoints, never moving the incremental ones. One engine
// serves many contexts ([ContextSource], each with its own client), a few
// at a time ([Options.Parallel]).
//
// Data is meant to be served from the store (see [Reader]), not from KSeF.
package ksefsync
