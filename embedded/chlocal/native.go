package chlocal

import (
	"encoding/binary"
	"strings"
)

// The engine writes Native at revision 0: no block info, no per-column
// serialization flag. clickhouse-go decodes the answer to its hello query at
// its own revision and every later block at the revision that answer reports.
// So the hello alone is written at the client's revision, and it reports 0,
// the revision of everything else this endpoint sends.

const (
	helloQuery = "SELECT displayName(), version(), revision(), timezone()"
	// minRevisionWithCustomSerialization is DBMS_MIN_REVISION_WITH_CUSTOM_SERIALIZATION.
	minRevisionWithCustomSerialization = 54454
)

func isHello(sql string) bool {
	return strings.EqualFold(strings.Join(strings.Fields(sql), " "), helloQuery)
}

// helloBlock is the Native answer to the hello query at revision rev.
func helloBlock(rev uint64, displayName, version, timezone string) []byte {
	var b []byte
	if rev > 0 {
		// Block info: field 1 is_overflows=false, field 2 bucket_num=-1, end.
		b = append(b, 1, 0, 2, 0xff, 0xff, 0xff, 0xff, 0)
	}
	b = binary.AppendUvarint(b, 4) // columns
	b = binary.AppendUvarint(b, 1) // rows
	col := func(name, typ string, data []byte) {
		b = appendString(b, name)
		b = appendString(b, typ)
		if rev >= minRevisionWithCustomSerialization {
			b = append(b, 0)
		}
		b = append(b, data...)
	}
	col("displayName()", "String", appendString(nil, displayName))
	col("version()", "String", appendString(nil, version))
	col("revision()", "UInt32", []byte{0, 0, 0, 0})
	col("timezone()", "String", appendString(nil, timezone))
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}
