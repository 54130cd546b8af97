package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strings"
	"syscall"

	ch "github.com/ClickHouse/clickhouse-go/v2"

	"github.com/rebatehq/rebate"
)

// ClickHouse's error codes that the service acts on, each named once here
// (src/Common/ErrorCodes.cpp). Every error leaving this package is a
// *rebate.Error whose code says what a caller can do: wait and retry
// (EUNAVAIL), fix the input (EINVALID), call an operator (EMISCONFIG).
const (
	codeUnexpectedEOF          = 3
	codeCannotParseText        = 6
	codeCannotReadAllData      = 23
	codeCannotWriteAllData     = 24
	codeCannotParseInput       = 27
	codeCannotReadFromSocket   = 32
	codeCannotWriteToSocket    = 33
	codeCannotParseDate        = 38
	codeCannotParseDateTime    = 41
	codeTypeMismatch           = 53
	codeArgumentOutOfBound     = 69
	codeCannotConvertType      = 70
	codeCannotParseNumber      = 72
	codeNoSuchColumnInTable    = 16
	codeUnknownIdentifier      = 47
	codeUnknownTable           = 60
	codeUnknownDatabase        = 81
	codeNotFoundColumn         = 8
	codeIncorrectData          = 117
	codeTimeoutExceeded        = 159
	codeReadonly               = 164
	codeUnknownUser            = 192
	codeWrongPassword          = 193
	codeRequiredPassword       = 194
	codeTooManySimultaneous    = 202
	codeSocketTimeout          = 209
	codeNetworkError           = 210
	codeMemoryLimitExceeded    = 241
	codeTableIsReadOnly        = 242
	codeCorruptedData          = 246
	codeTooManyParts           = 252
	codeUnknownStatusOfInsert  = 319
	codeValueOutOfRange        = 321
	codeCannotInsertNull       = 349
	codeQueryWasCancelled      = 394
	codeFunctionThrowIfNonZero = 395
	codeDecimalOverflow        = 407
	codeSystemError            = 425
	codeCannotScheduleTask     = 439
	codeBadQueryParameter      = 457
	codeUnknownQueryParameter  = 456
	codeAccessDenied           = 497
	codeUnknownElementOfEnum   = 691
	codeKeeperException        = 999
	codePocoException          = 1000
	codeAuthenticationFailed   = 516
	codeTooManyRowsOrBytes     = 396
	codeTooManyRows            = 158
	codeTooManyBytes           = 307
	codeSetSizeLimitExceeded   = 191
	codeBadArguments           = 36
	codeTableAlreadyExists     = 57
	codeInvalidConfigParameter = 318
	codeBackupAlreadyExists    = 598
	codeBackupNotFound         = 599
	codeBackupDamaged          = 601
	codeNoBaseBackup           = 602
	codeWrongBaseBackup        = 603
	// A statement resolved a table by name as an EXCHANGE swapped it: a
	// refreshable view's refresh exchanging its new rows in (the
	// leaderboards, every 2 s), or a migration's swap. The name resolves
	// to the new table at once.
	codeTableUUIDMismatch = 741
)

// tooManyPartitions tells TOO_MANY_PARTS of one insert spanning too many
// partitions from TOO_MANY_PARTS of merges falling behind.
const tooManyPartitions = "partitions for single INSERT block"

// codeMeanings maps a ClickHouse code to the domain's.
var codeMeanings = map[int32]string{
	// The server or the network: it passes.
	codeUnexpectedEOF: rebate.EUNAVAIL, codeCannotReadAllData: rebate.EUNAVAIL, codeCannotWriteAllData: rebate.EUNAVAIL,
	codeCannotReadFromSocket: rebate.EUNAVAIL, codeCannotWriteToSocket: rebate.EUNAVAIL,
	codeTimeoutExceeded: rebate.EUNAVAIL, codeSocketTimeout: rebate.EUNAVAIL, codeNetworkError: rebate.EUNAVAIL,
	codeTooManySimultaneous: rebate.EUNAVAIL, codeMemoryLimitExceeded: rebate.EUNAVAIL, codeTooManyParts: rebate.EUNAVAIL,
	codeTableIsReadOnly: rebate.EUNAVAIL, codeUnknownStatusOfInsert: rebate.EUNAVAIL, codeSystemError: rebate.EUNAVAIL,
	codeQueryWasCancelled: rebate.EUNAVAIL, codeCannotScheduleTask: rebate.EUNAVAIL, codeKeeperException: rebate.EUNAVAIL,
	codePocoException: rebate.EUNAVAIL, codeTableUUIDMismatch: rebate.EUNAVAIL,
	// A value the server cannot take: the input is at fault.
	codeCannotParseText: rebate.EINVALID, codeCannotParseInput: rebate.EINVALID, codeCannotParseDate: rebate.EINVALID,
	codeCannotParseDateTime: rebate.EINVALID, codeTypeMismatch: rebate.EINVALID, codeArgumentOutOfBound: rebate.EINVALID,
	codeCannotConvertType: rebate.EINVALID, codeCannotParseNumber: rebate.EINVALID, codeIncorrectData: rebate.EINVALID,
	codeValueOutOfRange: rebate.EINVALID, codeCannotInsertNull: rebate.EINVALID, codeFunctionThrowIfNonZero: rebate.EINVALID,
	codeDecimalOverflow: rebate.EINVALID, codeBadQueryParameter: rebate.EINVALID, codeUnknownQueryParameter: rebate.EINVALID,
	codeUnknownElementOfEnum: rebate.EINVALID,
	// The deployment: a missing table, column or database, no right to write.
	codeNotFoundColumn: rebate.EMISCONFIG, codeNoSuchColumnInTable: rebate.EMISCONFIG, codeUnknownIdentifier: rebate.EMISCONFIG,
	codeUnknownTable: rebate.EMISCONFIG, codeUnknownDatabase: rebate.EMISCONFIG, codeReadonly: rebate.EMISCONFIG,
	codeUnknownUser: rebate.EMISCONFIG, codeWrongPassword: rebate.EMISCONFIG, codeRequiredPassword: rebate.EMISCONFIG,
	codeAccessDenied: rebate.EMISCONFIG, codeAuthenticationFailed: rebate.EMISCONFIG,
	// Stored data an operator must rebuild: the engine's own, or a guard's
	// (get_balance over days stored without the balance's figures).
	codeCorruptedData: rebate.EMISCONFIG,
	// A limit set for the query.
	codeTooManyRowsOrBytes: rebate.ELIMIT, codeTooManyRows: rebate.ELIMIT, codeTooManyBytes: rebate.ELIMIT,
	codeSetSizeLimitExceeded: rebate.ELIMIT,
}

// domainError turns an error of clickhouse-go into a *rebate.Error whose
// code says what the caller can do; op says what was being done. Errors
// already of the domain pass through.
func domainError(op string, err error) error {
	if err == nil {
		return nil
	}
	var de *rebate.Error
	if errors.As(err, &de) {
		return err
	}
	msg := err.Error()
	if errors.Is(err, ch.ErrAcquireConnTimeout) {
		// clickhouse-go's own text advises the operator on the pool; the
		// message reaches API clients (503), who need only the fact.
		msg = "ClickHouse busy: no connection free within the dial timeout"
	}
	return &rebate.Error{Code: meaning(err), Message: op + ": " + msg, Err: err}
}

func meaning(err error) string {
	var ex *ch.Exception
	if errors.As(err, &ex) {
		if ex.Code == codeTooManyParts && strings.Contains(ex.Message, tooManyPartitions) {
			// One insert spanning too many partitions: waiting changes
			// nothing; a smaller batch does (the ingester halves it).
			return rebate.EINVALID
		}
		if m, ok := codeMeanings[ex.Code]; ok {
			return m
		}
		return rebate.EINTERNAL
	}
	var httpErr *ch.HTTPError
	if errors.As(err, &httpErr) && httpErr.StatusCode >= 500 {
		return rebate.EUNAVAIL // a proxy or a restarting server
	}
	var netErr net.Error
	switch {
	case errors.As(err, &netErr), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, syscall.EPIPE),
		// Every connection of the pool busy past the dial timeout: a
		// server overloaded for now, not a fault (the API's 503 with
		// Retry-After; the ingester retries for as long as it takes).
		errors.Is(err, ch.ErrAcquireConnTimeout):
		return rebate.EUNAVAIL
	}
	return rebate.EINTERNAL
}

// limitNames are the settings behind the codes of a limit hit: an analyst's
// query past one fails with ELIMIT naming it (api: 422).
var limitNames = map[int32]string{
	codeTooManyRowsOrBytes:  "max_result_rows",
	codeTooManyRows:         "max_rows_to_read",
	codeTooManyBytes:        "max_bytes_to_read",
	codeTimeoutExceeded:     "max_execution_time",
	codeMemoryLimitExceeded: "max_memory_usage",
}

// limitError is the ELIMIT of a query that went past one of lim, or nil.
// For the service's own queries the same codes mean EUNAVAIL (codeMeanings):
// only a limit set for an analyst is the query's fault.
func limitError(err error, lim rebate.QueryLimits) *rebate.Error {
	code := exceptionCode(err)
	name, ok := limitNames[code]
	if !ok || code == codeMemoryLimitExceeded && strings.Contains(exceptionMessage(err), "(total)") {
		return nil // the server's own memory is short: that passes
	}
	value := map[string]string{
		"max_result_rows":    fmt.Sprint(lim.MaxRows),
		"max_bytes_to_read":  fmt.Sprint(lim.MaxBytesRead),
		"max_execution_time": lim.Timeout.String(),
		"max_memory_usage":   fmt.Sprint(lim.MaxMemory),
	}[name]
	msg := fmt.Sprintf("the query went past the limit %s", name)
	if value != "" && value != "0" {
		msg += " = " + value
	}
	return &rebate.Error{Code: rebate.ELIMIT, Field: name, Message: msg + ": " + exceptionMessage(err), Err: err, Upstream: upstream(err)}
}

// upstream is ClickHouse's code and name of err, nil when it has none.
// The name (UNKNOWN_IDENTIFIER) ends the server's message; clickhouse-go's
// Name is the exception's class.
func upstream(err error) *rebate.Upstream {
	var ex *ch.Exception
	if !errors.As(err, &ex) {
		return nil
	}
	up := &rebate.Upstream{System: "clickhouse", Code: int(ex.Code)}
	if m := codeNameRe.FindStringSubmatch(ex.Message); m != nil {
		up.Name = m[1]
	}
	return up
}

var codeNameRe = regexp.MustCompile(`\(([A-Z][A-Z0-9_]+)\)\s*$`)

// sqlError is the domain's error for an analyst's own statement: a limit hit
// is ELIMIT, the server or the network unavailable is EUNAVAIL, a refusal
// of rights EFORBIDDEN, and any other ClickHouse error the statement's
// fault, EINVALID with ClickHouse's code and message.
func sqlError(err error, lim rebate.QueryLimits) error {
	if err == nil {
		return nil
	}
	var de *rebate.Error
	if errors.As(err, &de) {
		return err
	}
	if le := limitError(err, lim); le != nil {
		return le
	}
	var ex *ch.Exception
	if !errors.As(err, &ex) {
		return domainError("sql", err) // the network, a proxy: no ClickHouse error
	}
	switch {
	case ex.Code == codeAccessDenied || ex.Code == codeReadonly:
		return &rebate.Error{Code: rebate.EFORBIDDEN, Field: "sql", Message: ex.Message, Err: err, Upstream: upstream(err)}
	case codeMeanings[ex.Code] == rebate.EUNAVAIL && ex.Code != codeTimeoutExceeded && ex.Code != codeMemoryLimitExceeded:
		return domainError("sql", err)
	case ex.Code == codeBadQueryParameter || ex.Code == codeUnknownQueryParameter:
		field := "sql"
		if m := queryParamRe.FindStringSubmatch(ex.Message); m != nil {
			field = m[1]
		}
		return &rebate.Error{Code: rebate.EINVALID, Field: field, Message: ex.Message, Err: err, Upstream: upstream(err)}
	}
	return &rebate.Error{Code: rebate.EINVALID, Field: "sql", Message: ex.Message, Err: err, Upstream: upstream(err)}
}

// exceptionCode is the ClickHouse code of err, 0 if it carries none.
func exceptionCode(err error) int32 {
	var ex *ch.Exception
	if errors.As(err, &ex) {
		return ex.Code
	}
	return 0
}

// exceptionMessage is the server's message of err, or its text.
func exceptionMessage(err error) string {
	var ex *ch.Exception
	if errors.As(err, &ex) {
		return ex.Message
	}
	return err.Error()
}

// exchanged tells an error of a table swapped by an EXCHANGE as a statement
// resolved it (codeTableUUIDMismatch).
func exchanged(err error) bool {
	var ex *ch.Exception
	return errors.As(err, &ex) && ex.Code == codeTableUUIDMismatch
}
