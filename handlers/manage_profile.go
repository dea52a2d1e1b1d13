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
	Attributes  map[string]string // the operator's extra fields
}

func bindProfileForm(c echo.Context) profileForm {
	return profileForm{
		UserName:    strings.TrimSpace(c.FormValue("username")),
		PhoneNumber: strings.TrimSpace(c.FormValue("phone_number")),
	}
}

// Validate checks what the form alone can tell; identity checks the rest.
func (f profileForm) Validate(h *Handler, c echo.Context) pages.FieldErrors {
	if f.UserName == "" {
		return pages.FieldErrors{"username": h.T(c, "errors.username_required")}
	}
	return nil
}

func (h *Handler) profileView(c echo.Context, f profileForm, errs pages.FieldErrors) pages.ManageProfileView {
	u := currentUser(c)
	return pages.ManageProfileView{
		Common:         h.common(c, h.T(c, "manage-profile.title")),
		UserName:       f.UserName,
		Email:          u.Email,
		EmailConfirmed: u.EmailConfirmed,
		PhoneNumber:    f.PhoneNumber,
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
	// Numbers are stored in E.164 and shown grouped (issue 18 item 17).
	f := profileForm{UserName: u.UserName, PhoneNumber: identity.FormatPhone(u.PhoneNumber), Attributes: attrs}
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
	if changed {
		h.setFlash(c, h.T(c, "status.profile_updated"), false)
	} else {
		h.setFlash(c, h.T(c, "status.profile_unchanged"), false)
	}
	return h.redirect(c, "/account/manage")
}
