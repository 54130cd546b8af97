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
	} `json:"error"`
}

// status maps a domain error code to its HTTP status: the one place it does.
func status(code string) int {
	switch code {
	case rebate.EINVALID:
		return http.StatusBadRequest
	case rebate.ENOTFOUND:
		return http.StatusNotFound
	case rebate.ECONFLICT:
		return http.StatusConflict
	case rebate.EUNAVAIL:
		return http.StatusServiceUnavailable
	case codeUnauthorized:
		return http.StatusUnauthorized
	case codeForbidden:
		return http.StatusForbidden
	case codeTooMany:
		return http.StatusTooManyRequests
	case codeTooLarge:
		return http.StatusRequestEntityTooLarge
	case codeMethod:
		return http.StatusMethodNotAllowed
	}
	return http.StatusInternalServerError
}

// Codes of errors only the HTTP layer raises.
const (
	codeUnauthorized = "unauthorized"
	codeForbidden    = "forbidden"
	codeTooMany      = "rate_limited"
	codeTooLarge     = "too_large"
	codeMethod       = "method_not_allowed"
)

func (s *Server) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var body ErrorBody
	var de *rebate.Error
	var ve *rebate.ValidationError
	var he *echo.HTTPError
	switch {
	case errors.As(err, &de):
		body.Error.Code, body.Error.Message, body.Error.Field = de.Code, de.Message, de.Field
	case errors.As(err, &ve):
		body.Error.Code, body.Error.Message, body.Error.Field = rebate.EINVALID, ve.Reason, ve.Field
	case errors.As(err, &he):
		body.Error.Code, body.Error.Message = httpCode(he.Code), http.StatusText(he.Code)
		if m, ok := he.Message.(string); ok && m != "" {
			body.Error.Message = m
		}
	default:
		body.Error.Code, body.Error.Message = rebate.EINTERNAL, "internal error; see the server log for the request id"
		s.log.Error("request failed", "path", c.Path(), "err", err, "request_id", c.Response().Header().Get(echo.HeaderXRequestID))
	}
	body.Error.RequestID = c.Response().Header().Get(echo.HeaderXRequestID)
	code := status(body.Error.Code)
	if he != nil && errors.As(err, &he) && de == nil && ve == nil {
		code = he.Code
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(code)
		return
	}
	_ = c.JSON(code, body)
}

func httpCode(status int) string {
	switch status {
	case http.StatusNotFound:
		return rebate.ENOTFOUND
	case http.StatusMethodNotAllowed:
		return codeMethod
	case http.StatusUnauthorized:
		return codeUnauthorized
	case http.StatusForbidden:
		return codeForbidden
	case http.StatusTooManyRequests:
		return codeTooMany
	case http.StatusRequestEntityTooLarge:
		return codeTooLarge
	case http.StatusBadRequest:
		return rebate.EINVALID
	case http.StatusServiceUnavailable:
		return rebate.EUNAVAIL
	}
	return rebate.EINTERNAL
}
