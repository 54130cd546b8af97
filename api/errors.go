package api

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/rebatehq/rebate"
)

// ErrorBody is every error answer: {"error": {"code", "message", "field"?}}.
type ErrorBody struct {
	Error struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		Field     string `json:"field,omitempty"`
		RequestID string `json:"request_id,omitempty"`
		// Upstream is the cause as ClickHouse named it (ad-hoc SQL).
		Upstream *rebate.Upstream `json:"upstream,omitempty"`
	} `json:"error"`
}

// status maps a domain error code to its HTTP status: the one place it does.
func status(code string) int {
	switch code {
	case rebate.EINVALID:
		return http.StatusBadRequest
	case rebate.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case rebate.EFORBIDDEN:
		return http.StatusForbidden
	case rebate.ENOTFOUND:
		return http.StatusNotFound
	case codeMethod:
		return http.StatusMethodNotAllowed
	case rebate.ECONFLICT:
		return http.StatusConflict
	case rebate.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case rebate.ELIMIT:
		return http.StatusUnprocessableEntity
	case rebate.ERATELIMITED:
		return http.StatusTooManyRequests
	case rebate.EUNAVAIL:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError // EINTERNAL, EMISCONFIG
}

// codeMethod is the one code only HTTP has: a route without that method.
const codeMethod = "method_not_allowed"

// retryAfter is what a 503 tells a client to wait, in seconds.
const retryAfter = "5"

func (s *Server) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var body ErrorBody
	var he *echo.HTTPError
	code := rebate.ErrorCode(err)
	switch {
	case code != rebate.EINTERNAL && code != rebate.EMISCONFIG:
		var de *rebate.Error
		errors.As(err, &de)
		body.Error.Code, body.Error.Message, body.Error.Field, body.Error.Upstream = de.Code, de.Message, de.Field, de.Upstream
	case errors.As(err, &he):
		// Echo's own: no route (404), a route without the method (405).
		code = httpCode(he.Code)
		body.Error.Code, body.Error.Message = code, http.StatusText(he.Code)
		if m, ok := he.Message.(string); ok && m != "" {
			body.Error.Message = m
		}
	default:
		body.Error.Code, body.Error.Message = rebate.EINTERNAL, "internal error; see the server log for the request id"
		s.log.Error("request failed", "path", c.Path(), "err", err, "request_id", c.Response().Header().Get(echo.HeaderXRequestID))
	}
	body.Error.RequestID = c.Response().Header().Get(echo.HeaderXRequestID)
	st := status(body.Error.Code)
	if st == http.StatusServiceUnavailable {
		c.Response().Header().Set("Retry-After", retryAfter)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(st)
		return
	}
	_ = c.JSON(st, body)
}

// httpCode is the domain code of a status Echo raised itself.
func httpCode(st int) string {
	switch st {
	case http.StatusNotFound:
		return rebate.ENOTFOUND
	case http.StatusMethodNotAllowed:
		return codeMethod
	case http.StatusUnauthorized:
		return rebate.EUNAUTHORIZED
	case http.StatusForbidden:
		return rebate.EFORBIDDEN
	case http.StatusTooManyRequests:
		return rebate.ERATELIMITED
	case http.StatusRequestEntityTooLarge:
		return rebate.ETOOLARGE
	case http.StatusBadRequest:
		return rebate.EINVALID
	case http.StatusServiceUnavailable:
		return rebate.EUNAVAIL
	}
	return rebate.EINTERNAL
}
