package batchpack

import (
	"encoding/binary"
	"time"
	"unicode/utf8"
)

// The ZIP records are written here rather than with archive/zip so that
// a worker can build an entry's local header on its own (it needs no
// offset) and the writer knows every record's exact size for the limit
// checks. Entries are at most a few MB, so only the central directory's
// offsets and the end record can need ZIP64 (archives up to 5 GB).

const (
	zipLocalLen   = 30
	zipCentralLen = 46
	zipTimeExtra  = 9  // extended timestamp: ID, size, flags, mtime
	zip64Extra    = 12 // ZIP64 extra with the local header offset only
	zipEndLen     = 22
	zip64EndLen   = 56 + 20 // ZIP64 end record and its locator
)

// zip64Limit is the largest value of a 32-bit ZIP field; a variable so
// that a test can exercise the ZIP64 records on a small archive.
var zip64Limit int64 = 0xFFFFFFFF

// field32 returns v for a 32-bit field, or the ZIP64 marker 0xFFFFFFFF
// when v is in a ZIP64 record instead.
func field32(v int64) uint32 {
	if v >= zip64Limit {
		return 0xFFFFFFFF
	}
	return uint32(v)
}

// zipEntry is what the central directory needs of an entry.
type zipEntry struct {
	name        string
	method      uint16
	crc         uint32
	csize, size uint32
}

func zipFlags(name string) uint16 {
	for i := 0; i < len(name); i++ {
		if name[i] >= 0x80 {
			if utf8.ValidString(name) {
				return 0x800 // names are UTF-8
			}
			break
		}
	}
	return 0
}

// dosTime returns the MS-DOS date and time of t (local fields as given).
func dosTime(t time.Time) (date, tm uint16) {
	if t.Year() < 1980 {
		t = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	date = uint16(t.Day() + int(t.Month())<<5 + (t.Year()-1980)<<9)
	tm = uint16(t.Second()/2 + t.Minute()<<5 + t.Hour()<<11)
	return date, tm
}

// zipLocalHeader returns the local file header of an entry.
func zipLocalHeader(e zipEntry, mod time.Time) []byte {
	b := make([]byte, 0, zipLocalLen+len(e.name)+zipTimeExtra)
	date, tm := dosTime(mod)
	b = binary.LittleEndian.AppendUint32(b, 0x04034b50)
	b = binary.LittleEndian.AppendUint16(b, 20) // version needed: 2.0
	b = binary.LittleEndian.AppendUint16(b, zipFlags(e.name))
	b = binary.LittleEndian.AppendUint16(b, e.method)
	b = binary.LittleEndian.AppendUint16(b, tm)
	b = binary.LittleEndian.AppendUint16(b, date)
	b = binary.LittleEndian.AppendUint32(b, e.crc)
	b = binary.LittleEndian.AppendUint32(b, e.csize)
	b = binary.LittleEndian.AppendUint32(b, e.size)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(e.name)))
	b = binary.LittleEndian.AppendUint16(b, zipTimeExtra)
	b = append(b, e.name...)
	return appendTimeExtra(b, mod)
}

func appendTimeExtra(b []byte, mod time.Time) []byte {
	b = binary.LittleEndian.AppendUint16(b, 0x5455)
	b = binary.LittleEndian.AppendUint16(b, 5)
	b = append(b, 1) // modification time present
	return binary.LittleEndian.AppendUint32(b, uint32(mod.Unix()))
}

// zipCentralSize returns the size of an entry's central directory record.
func zipCentralSize(name string, offset int64) int64 {
	n := int64(zipCentralLen + len(name) + zipTimeExtra)
	if offset >= zip64Limit {
		n += zip64Extra
	}
	return n
}

// appendZipCentral appends an entry's central directory record.
func appendZipCentral(b []byte, e zipEntry, offset int64, mod time.Time) []byte {
	date, tm := dosTime(mod)
	big := offset >= zip64Limit
	need, extra := uint16(20), uint16(zipTimeExtra)
	if big {
		need, extra = 45, zipTimeExtra+zip64Extra
	}
	b = binary.LittleEndian.AppendUint32(b, 0x02014b50)
	b = binary.LittleEndian.AppendUint16(b, 3<<8|45) // made by: Unix, 4.5
	b = binary.LittleEndian.AppendUint16(b, need)
	b = binary.LittleEndian.AppendUint16(b, zipFlags(e.name))
	b = binary.LittleEndian.AppendUint16(b, e.method)
	b = binary.LittleEndian.AppendUint16(b, tm)
	b = binary.LittleEndian.AppendUint16(b, date)
	b = binary.LittleEndian.AppendUint32(b, e.crc)
	b = binary.LittleEndian.AppendUint32(b, e.csize)
	b = binary.LittleEndian.AppendUint32(b, e.size)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(e.name)))
	b = binary.LittleEndian.AppendUint16(b, extra)
	b = binary.LittleEndian.AppendUint16(b, 0)               // comment length
	b = binary.LittleEndian.AppendUint16(b, 0)               // disk number start
	b = binary.LittleEndian.AppendUint16(b, 0)               // internal attributes
	b = binary.LittleEndian.AppendUint32(b, 0o100644<<16)    // external: regular file, rw-r--r--
	b = binary.LittleEndian.AppendUint32(b, field32(offset)) // local header offset
	b = append(b, e.name...)
	b = appendTimeExtra(b, mod)
	if big {
		b = binary.LittleEndian.AppendUint16(b, 0x0001)
		b = binary.LittleEndian.AppendUint16(b, 8)
		b = binary.LittleEndian.AppendUint64(b, uint64(offset))
	}
	return b
}

// zipEndSize returns the size of the end records.
func zipEndSize(entries int, cdOffset, cdSize int64) int64 {
	if zipNeeds64(entries, cdOffset, cdSize) {
		return zip64EndLen + zipEndLen
	}
	return zipEndLen
}

func zipNeeds64(entries int, cdOffset, cdSize int64) bool {
	return int64(entries) >= 0xFFFF || cdOffset >= zip64Limit || cdSize >= zip64Limit
}

// zipEnd returns the end of central directory records, with the ZIP64
// records first when a field does not fit.
func zipEnd(entries int, cdOffset, cdSize int64) []byte {
	var b []byte
	if zipNeeds64(entries, cdOffset, cdSize) {
		end64 := cdOffset + cdSize
		b = binary.LittleEndian.AppendUint32(b, 0x06064b50)
		b = binary.LittleEndian.AppendUint64(b, 44) // size of the rest of the record
		b = binary.LittleEndian.AppendUint16(b, 3<<8|45)
		b = binary.LittleEndian.AppendUint16(b, 45)
		b = binary.LittleEndian.AppendUint32(b, 0) // this disk
		b = binary.LittleEndian.AppendUint32(b, 0) // disk with the central directory
		b = binary.LittleEndian.AppendUint64(b, uint64(entries))
		b = binary.LittleEndian.AppendUint64(b, uint64(entries))
		b = binary.LittleEndian.AppendUint64(b, uint64(cdSize))
		b = binary.LittleEndian.AppendUint64(b, uint64(cdOffset))
		b = binary.LittleEndian.AppendUint32(b, 0x07064b50) // locator
		b = binary.LittleEndian.AppendUint32(b, 0)
		b = binary.LittleEndian.AppendUint64(b, uint64(end64))
		b = binary.LittleEndian.AppendUint32(b, 1) // total disks
	}
	b = binary.LittleEndian.AppendUint32(b, 0x06054b50)
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = binary.LittleEndian.AppendUint16(b, uint16(min(int64(entries), 0xFFFF)))
	b = binary.LittleEndian.AppendUint16(b, uint16(min(int64(entries), 0xFFFF)))
	b = binary.LittleEndian.AppendUint32(b, field32(cdSize))
	b = binary.LittleEndian.AppendUint32(b, field32(cdOffset))
	b = binary.LittleEndian.AppendUint16(b, 0) // comment length
	return b
}
