package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/accountportal/portal/identity"
	"github.com/accountportal/portal/pages"
)

// profileForm is what /account/manage posts. Only these two fields are read
// (ACC-02: extra fields such as email or id are ignored).
type profileForm struct {
	UserName    string
	PhoneNumber string
	TimeZone    string            // an IANA name, "" for automatic (issue 18 item 9)
	Attributes  map[string]string // the operator's extra fields
}

func bindProfileForm(c echo.Context) profileForm {
	return profileForm{
		UserName:    strings.TrimSpace(c.FormValue("username")),
		PhoneNumber: strings.TrimSpace(c.FormValue("phone_number")),
		TimeZone:    strings.TrimSpace(c.FormValue("time_zone")),
	}
}

// Validate checks what the form alone can tell; identity checks the rest.
func (f profileForm) Validate(h *Handler, c echo.Context) pages.FieldErrors {
	errs := pages.FieldErrors{}
	if f.UserName == "" {
		errs["username"] = h.T(c, "errors.username_required")
	}
	if _, ok := identity.LoadTimeZone(f.TimeZone); f.TimeZone != "" && !ok {
		errs["time_zone"] = h.T(c, "errors.unknown_time_zone")
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

func (h *Handler) profileView(c echo.Context, f profileForm, errs pages.FieldErrors) pages.ManageProfileView {
	u := currentUser(c)
	return pages.ManageProfileView{
		Common:         h.common(c, h.T(c, "manage-profile.title")),
		UserName:       f.UserName,
		Email:          u.Email,
		EmailConfirmed: u.EmailConfirmed,
		PhoneNumber:    f.PhoneNumber,
		TimeZone:       f.TimeZone,
		CreatedAt:      u.CreatedAt,
		Errors:         errs,
		ExtraFields:    h.extraInputs(f.Attributes, errs),
	}
}

func (h *Handler) handleManageProfile(c echo.Context) error {
	u := currentUser(c)
	attrs, err := h.id.UserAttributes(c.Request().Context(), u.ID)
	if err != nil {
		return err
	}
	zone, err := h.id.TimeZone(c.Request().Context(), u.ID)
	if err != nil {
		return err
	}
	// Numbers are stored in E.164 and shown grouped (issue 18 item 17).
	f := profileForm{UserName: u.UserName, PhoneNumber: identity.FormatPhone(u.PhoneNumber), TimeZone: zone, Attributes: attrs}
	for _, x := range h.id.ExtraFields() {
		if x.Type == "tel" {
			attrs[x.Name] = identity.FormatPhone(attrs[x.Name])
		}
	}
	return h.renderPage(c, http.StatusOK, "manage-profile", h.profileView(c, f, nil))
}

func (h *Handler) handleManageProfilePost(c echo.Context) error {
	ctx := c.Request().Context()
	f := bindProfileForm(c)
	f.Attributes = h.bindExtraFields(c)
	errs := f.Validate(h, c)
	if errs == nil {
		errs = pages.FieldErrors{}
	}
	for k, v := range h.id.ValidateAttributesText(f.Attributes, h.cat(c)) {
		errs[k] = v
	}
	if len(errs) > 0 {
		return h.renderPage(c, http.StatusUnprocessableEntity, "manage-profile", h.profileView(c, f, errs))
	}
	u := currentUser(c)
	changed, err := h.id.UpdateProfile(ctx, clientOf(c), u, identity.ProfileInput{UserName: f.UserName, PhoneNumber: f.PhoneNumber})
	if errs, _, ok := h.fieldErrors(c, err); ok {
		return h.renderPage(c, http.StatusUnprocessableEntity, "manage-profile", h.profileView(c, f, errs))
	}
	if err != nil {
		return err
	}
	if len(h.id.ExtraFields()) > 0 {
		before, err := h.id.UserAttributes(ctx, u.ID)
		if err != nil {
			return err
		}
		if err := h.id.UpdateAttributes(ctx, clientOf(c), u, f.Attributes); err != nil {
			return err
		}
		for k, v := range f.Attributes {
			changed = changed || before[k] != v
		}
	}
	before, err := h.id.TimeZone(ctx, u.ID)
	if err != nil {
		return err
	}
	if f.TimeZone != before {
		if err := h.id.SetTimeZone(ctx, u, f.TimeZone); err != nil {
			return err
		}
		h.setTimeZoneCookie(c, f.TimeZone)
		changed = true
	}
	if changed {
		h.setFlash(c, h.T(c, "status.profile_updated"), false)
	} else {
		h.setFlash(c, h.T(c, "status.profile_unchanged"), false)
	}
	return h.redirect(c, "/account/manage")
}
