package handlers

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/accountportal/portal/identity"
	"github.com/accountportal/portal/pages"
)

const personalDataPath = "/account/manage/personal-data"

func (h *Handler) handlePersonalDataShow(c echo.Context) error {
	return h.renderPage(c, http.StatusOK, "personal-data", pages.PersonalDataView{Common: h.common(c, h.T(c, "personal-data.title"))})
}

// handleDownloadPersonalData answers PersonalData.json (POST only: a GET is
// 405, so no link or prefetch can trigger an export).
func (h *Handler) handleDownloadPersonalData(c echo.Context) error {
	data, err := h.id.ExportPersonalData(c.Request().Context(), clientOf(c), currentUser(c))
	if identity.ErrorCode(err) == identity.ERATELIMIT {
		// A second download within the limit: the page again, saying when
		// the next is possible (issue 18 item 10), with Retry-After.
		d := identity.RetryAfter(err)
		c.Response().Header().Set("Retry-After", strconv.Itoa(int((d+time.Second-1)/time.Second)))
		v := pages.PersonalDataView{Common: h.common(c, h.T(c, "personal-data.title"))}
		v.Status, v.StatusIsError = h.T(c, "personal-data.download_wait")+" "+h.waitText(c, d), true
		return h.renderPage(c, http.StatusTooManyRequests, "personal-data", v)
	}
	if err != nil {
		return err
	}
	if err := h.commitSession(c); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="PersonalData.json"`)
	return c.Blob(http.StatusOK, "application/json", data)
}

func (h *Handler) deleteView(c echo.Context, errs pages.FieldErrors) pages.DeletePersonalDataView {
	return pages.DeletePersonalDataView{
		Common: h.common(c, h.T(c, "delete-personal-data.title")), HasPassword: currentUser(c).PasswordHash != "", Errors: errs,
	}
}

func (h *Handler) handleDeletePersonalDataShow(c echo.Context) error {
	return h.renderPage(c, http.StatusOK, "delete-personal-data", h.deleteView(c, nil))
}

// handleDeletePersonalDataPost deletes the account (PRIV-02) and signs this
// browser out; every other session went with the account.
func (h *Handler) handleDeletePersonalDataPost(c echo.Context) error {
	u := currentUser(c)
	password := c.FormValue("password")
	if u.PasswordHash != "" && password == "" {
		return h.renderPage(c, http.StatusUnprocessableEntity, "delete-personal-data", h.deleteView(c, pages.FieldErrors{"password": h.T(c, "validation.password_required")}))
	}
	err := h.id.DeleteAccount(c.Request().Context(), clientOf(c), u, password)
	if errs, _, ok := h.fieldErrors(c, err); ok && len(errs) > 0 {
		return h.renderPage(c, http.StatusUnprocessableEntity, "delete-personal-data", h.deleteView(c, errs))
	}
	if err != nil {
		return err
	}
	c.Set(ctxUser, nil)
	c.Set(ctxRegistry, nil)
	if err := h.sessions.Destroy(c.Request().Context()); err != nil {
		return err
	}
	h.clearBrowser(c)
	h.clearRememberCookie(c)
	return h.redirect(c, "/account/deleted")
}

func (h *Handler) handleGoodbye(c echo.Context) error {
	return h.renderPage(c, http.StatusOK, "account-deleted", pages.GoodbyeView{Common: h.common(c, h.T(c, "account-deleted.title"))})
}

// securityPath is the security timeline; "This wasn't me" comes back here
// after re-authentication.
const securityPath = "/account/manage/security"

// handleSecurityShow is the security timeline, ?page=N.
func (h *Handler) handleSecurityShow(c echo.Context) error {
	page, _ := strconv.Atoi(c.QueryParam("page"))
	page = max(page, 1)
	events, more, err := h.id.ListEvents(c.Request().Context(), currentUser(c).ID, page)
	if err != nil {
		return err
	}
	v := pages.SecurityView{Common: h.common(c, h.T(c, "manage-security.title")), Page: page}
	if page > 1 {
		v.PrevPage = page - 1
	}
	if more {
		v.NextPage = page + 1
	}
	for _, e := range events {
		v.Events = append(v.Events, h.securityItem(c, e))
	}
	return h.renderPage(c, http.StatusOK, "manage-security", v)
}

// securityItem is one entry of the security timeline. A sign-in offers
// "This wasn't me", except this session's own (issue 18 item 7), which
// says so instead.
func (h *Handler) securityItem(c echo.Context, e *identity.Event) pages.SecurityEventItem {
	device := identity.DescribeUserAgentText(e.UserAgent, h.cat(c))
	own := identity.IsSignInEvent(e.Kind) && e.ID == h.signInEvent(c)
	return pages.SecurityEventItem{
		ID: e.ID, Kind: e.Kind, Text: pages.EventText(h.cat(c), e.Kind, e.Detail, device, e.IP),
		Time: e.CreatedAt, Device: device, IP: e.IP, SignIn: identity.IsSignInEvent(e.Kind) && !own, ThisSession: own,
	}
}

// signInEvent is the id of the sign-in event of this browser's session (0
// when unknown).
func (h *Handler) signInEvent(c echo.Context) int64 {
	return h.sessions.GetInt64(c.Request().Context(), keySignInEvent)
}

// notMeEventID reads event_id; a malformed one is a 404 like an unknown one.
func notMeEventID(v string) (int64, error) {
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, echo.ErrNotFound
	}
	return id, nil
}

// handleNotMeShow asks to confirm "This wasn't me" (issue 18 item 7): a
// page naming the sign-in and what will happen, with a Cancel link back
// to the history. It works without JavaScript. Another user's event,
// another kind of event and this session's own sign-in are 404.
func (h *Handler) handleNotMeShow(c echo.Context) error {
	id, err := notMeEventID(c.QueryParam("event_id"))
	if err != nil {
		return err
	}
	e, err := h.id.NotMeEvent(c.Request().Context(), currentUser(c).ID, h.signInEvent(c), id)
	if err != nil {
		return err
	}
	return h.renderPage(c, http.StatusOK, "security-not-me", pages.NotMeView{
		Common: h.common(c, h.T(c, "security-not-me.title")), Event: h.securityItem(c, e),
	})
}

// handleNotMe: "This wasn't me" on a sign-in ends every other session and
// sends the user to change the password. Another user's event is a 404,
// and so is this session's own sign-in.
func (h *Handler) handleNotMe(c echo.Context) error {
	id, err := notMeEventID(c.FormValue("event_id"))
	if err != nil {
		return err
	}
	u := currentUser(c)
	added, err := h.id.ThisWasntMe(c.Request().Context(), clientOf(c), u, currentSessionID(c), h.signInEvent(c), id)
	if err != nil {
		return err
	}
	if err := h.refreshSignIn(c, u); err != nil {
		return err
	}
	if len(added) > 0 {
		// Passkeys added since that sign-in still sign in: the passkeys
		// page, where they can go, comes first (issue 21).
		h.setFlash(c, h.T(c, "status.not_me_passkeys", "names", strings.Join(added, ", ")), true)
		return h.redirect(c, passkeysPath)
	}
	h.setFlash(c, h.T(c, "status.not_me"), false)
	return h.redirect(c, "/account/manage/change-password")
}
