package chdb_test

import (
	"os"
	"sync"
	"testing"

	"github.com/rebatehq/rebate/embedded/chdb"
)

var shared struct {
	once sync.Once
	conn *chdb.Conn
	dir  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.conn != nil {
		_ = shared.conn.Close()
		_ = os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}
