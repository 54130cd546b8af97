package chlocal

import (
	"strings"
	"testing"

	"github.com/rebatehq/rebate/internal/secrettest"
)

// FuzzFenceText: the fence's own reading of untrusted SQL (scanText, the
// SETTINGS lists, VALUES data) never panics, and every name it collects
// is in the text.
func FuzzFenceText(f *testing.F) {
	for _, s := range fuzzStatements {
		f.Add(s, "SELECT")
	}
	for _, s := range []string{
		"SELECT 1 SETTINGS max_threads = 1, disk = disk(type = local, path = '/x'), a = -1",
		"ALTER TABLE t MODIFY SETTING disk = disk(type = s3)",
		"RESTORE TABLE t FROM Disk('b', 'x') SETTINGS base_backup = File('y')",
		"SELECT * FROM {t:Identifier} WHERE x = {s:String}",
		"SYSTEM REFRESH VIEW v",
		"ATTACH TABLE t FROM '/x' (a UInt8) ENGINE = Memory",
		"SELECT 1 AS `a\nb`",
		"(file('/etc/passwd')), ((SELECT 1)), (`file`('x'))",
		"SETTINGS", "SETTINGS a =", "SETTINGS a = f(", "{", "{t:",
	} {
		f.Add(s, "SELECT")
		f.Add(s, "SYSTEM")
		f.Add(s, "ATTACH")
	}
	s := &Server{cat: catalog{tableFunctions: set("file", "url", "numbers")}}
	f.Fuzz(func(t *testing.T, text, keyword string) {
		facts, r := scanText(text, keyword)
		if (facts == nil) == (r == nil) {
			t.Fatalf("want facts or a refusal, got %v and %v", facts, r)
		}
		if r != nil && r.reason == "" {
			t.Fatal("a refusal without a reason")
		}
		if facts != nil {
			for _, n := range append(append([]string(nil), facts.names...), facts.identParams...) {
				if n == "" || !strings.Contains(text, n) {
					t.Fatalf("name %q is not in the text", n)
				}
			}
		}
		_ = s.checkValuesData(text)
	})
}

// FuzzParseUsers: the users setting either parses into valid users or is
// refused by an error that shows no password: the same list with every
// password overwritten by a marker gets an error without the marker.
func FuzzParseUsers(f *testing.F) {
	for _, s := range []string{"a:admin:0123456789abcdef", "a:readonly:0123456789abcdef:x,b:admin:fedcba9876543210", "a:root:x", ",,", "a::b",
		"::000000000000000:", "0000000000000000 ::0000000000000000", "000000000000000:: 000000000000000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		users, err := ParseUsers(s)
		if err != nil {
			secrettest.NoSecretShown(t, s, func(s string) error { _, err := ParseUsers(s); return err })
			return
		}
		seen := map[string]bool{}
		for _, u := range users {
			if !userNameRe.MatchString(u.Name) || seen[u.Name] || (u.Role != RoleAdmin && u.Role != RoleReadonly) ||
				len(u.Password) < 16 || strings.Contains(u.Password, ",") {
				t.Fatalf("invalid user accepted: %+v", u)
			}
			seen[u.Name] = true
		}
	})
}

func TestSettingsClause(t *testing.T) {
	for sql, refused := range map[string]bool{
		"SELECT 1 SETTINGS max_threads = 1":                                                            false,
		"SELECT 1 SETTINGS output_format_schema = '/x'":                                                true,
		"SELECT 1 SETTINGS `output_format_schema` = '/x'":                                              true,
		"SELECT 1 SETTINGS max_bytes_ratio_before_external_group_by = 0.5, output_format_schema = 'x'": true,
		"SELECT 1 SETTINGS a = [1, 2], b = (3, 4), format_template_row = 'x'":                          true,
		"SELECT 1 SETTINGS a = -1, Dynamic_Disk_Allow_Include = 1":                                     true,
		"SELECT * FROM (SELECT 1 SETTINGS format_schema = 'x')":                                        true,
		"CREATE TABLE t (a UInt8) ENGINE = MergeTree ORDER BY a SETTINGS disk = disk(type = local)":    true,
		"CREATE TABLE t (a UInt8) ENGINE = MergeTree ORDER BY a SETTINGS index_granularity = 256":      false,
		"ALTER TABLE t MODIFY SETTING disk = disk(type = s3)":                                          true,
		"ALTER TABLE t RESET SETTING a, format_schema":                                                 true,
		"INSERT INTO t SETTINGS async_insert = 1 SELECT * FROM s WHERE d = toDate('2020-01-01')":       false,
		"INSERT INTO t SETTINGS async_insert = 1 VALUES":                                               false,
		"RESTORE TABLE t FROM Disk('b', 'x') SETTINGS base_backup = File('y')":                         false,
		"RESTORE TABLE t FROM Disk('b', 'x') SETTINGS base_backup = S3('y')":                           true,
		"SELECT settings FROM t WHERE x = file_path":                                                   false,
	} {
		_, r := scanText(sql, "")
		if (r != nil) != refused {
			t.Errorf("%s: refused %v, want %v (%v)", sql, r != nil, refused, r)
		}
	}
}
