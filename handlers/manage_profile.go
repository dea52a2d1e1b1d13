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
}

func bindProfileForm(c echo.Context) profileForm {
	return profileForm{
		UserName:    strings.TrimSpace(c.FormValue("username")),
		PhoneNumber: strings.TrimSpace(c.FormValue("phone_number")),
	}
}

// Validate checks what the form alone can tell; identity checks the rest.
func (f profileForm) Validate() pages.FieldErrors {
	if f.UserName == "" {
		return pages.FieldErrors{"username": "Enter a username."}
	}
	return nil
}

func (h *Handler) profileView(c echo.Context, f profileForm, errs pages.FieldErrors) pages.ManageProfileView {
	u := currentUser(c)
	return pages.ManageProfileView{
		Common:         h.common(c, "Profile"),
		UserName:       f.UserName,
		Email:          u.Email,
		EmailConfirmed: u.EmailConfirmed,
		PhoneNumber:    f.PhoneNumber,
		CreatedAt:      u.CreatedAt,
		Errors:         errs,
	}
}

func (h *Handler) handleManageProfile(c echo.Context) error {
	u := currentUser(c)
	f := profileForm{UserName: u.UserName, PhoneNumber: u.PhoneNumber}
	return h.renderPage(c, http.StatusOK, "manage-profile", h.profileView(c, f, nil))
}

func (h *Handler) handleManageProfilePost(c echo.Context) error {
	f := bindProfileForm(c)
	if errs := f.Validate(); len(errs) > 0 {
		return h.renderPage(c, http.StatusUnprocessableEntity, "manage-profile", h.profileView(c, f, errs))
	}
	changed, err := h.id.UpdateProfile(c.Request().Context(), clientOf(c), currentUser(c), identity.ProfileInput{UserName: f.UserName, PhoneNumber: f.PhoneNumber})
	if errs, _, ok := fieldErrors(err); ok {
		return h.renderPage(c, http.StatusUnprocessableEntity, "manage-profile", h.profileView(c, f, errs))
	}
	if err != nil {
		return err
	}
	if changed {
		h.setFlash(c, "Your profile has been updated.", false)
	} else {
		h.setFlash(c, "Your profile is unchanged.", false)
	}
	return h.redirect(c, "/account/manage")
}
