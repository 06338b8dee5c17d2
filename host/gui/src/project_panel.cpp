#include "kohl/gui/project_panel.hpp"

#include <wx/settings.h>
#include <wx/sizer.h>
#include <wx/stattext.h>

#include "kohl/core/project.hpp"

namespace kohl::gui {

namespace {
const wxColour kErrorColour(0xC0, 0x1C, 0x28);
}

ProjectPanel::ProjectPanel(wxWindow* parent) : wxPanel(parent, wxID_ANY) {
  name_ = new wxStaticText(this, wxID_ANY, "No project open", wxDefaultPosition, wxDefaultSize,
                           wxST_ELLIPSIZE_END | wxST_NO_AUTORESIZE);
  name_->SetFont(name_->GetFont().Bold().Scaled(1.6f));

  message_ = new wxStaticText(this, wxID_ANY, wxEmptyString);

  // Label/value pairs in two columns; values may be long paths, so they ellipsize in
  // the middle instead of widening the window.
  auto* grid = new wxFlexGridSizer(2, FromDIP(wxSize(12, 3)));
  grid->AddGrowableCol(1, 1);
  const wxColour label_colour = wxSystemSettings::GetColour(wxSYS_COLOUR_GRAYTEXT);
  auto add_row = [&](const wxString& label) {
    auto* l = new wxStaticText(this, wxID_ANY, label);
    l->SetForegroundColour(label_colour);
    // Created with a placeholder: with wxST_NO_AUTORESIZE the best size is measured once,
    // here, so a long path later cannot force the window wider.
    auto* v = new wxStaticText(this, wxID_ANY, L"\u2014", wxDefaultPosition, wxDefaultSize,
                               wxST_ELLIPSIZE_MIDDLE | wxST_NO_AUTORESIZE);
    grid->Add(l, wxSizerFlags().Right());
    grid->Add(v, wxSizerFlags().Expand());
    return v;
  };
  path_ = add_row("Path");
  schema_ = add_row("Schema version");
  kohl_version_ = add_row("Created with");
  created_ = add_row("Created");
  details_ = grid;

  auto* sizer = new wxBoxSizer(wxVERTICAL);
  sizer->Add(name_, wxSizerFlags().Expand().Border(wxLEFT | wxRIGHT | wxTOP, FromDIP(12)));
  sizer->Add(message_, wxSizerFlags().Expand().Border(wxLEFT | wxRIGHT | wxTOP, FromDIP(12)));
  sizer->Add(details_, wxSizerFlags().Expand().Border(wxLEFT | wxRIGHT | wxTOP, FromDIP(12)));
  sizer->AddSpacer(FromDIP(12));
  SetSizer(sizer);

  show_no_project();
}

void ProjectPanel::show_details(bool show) {
  GetSizer()->Show(details_, show);
  GetSizer()->Show(message_, !show);
  Layout();
  // The header's height depends on what it shows; let the frame's sizer re-measure it.
  if (GetParent()) GetParent()->Layout();
}

void ProjectPanel::show_project(const core::ProjectInfo& info) {
  name_->SetLabelText(wxString::FromUTF8(info.name));
  path_->SetLabelText(wxString::FromUTF8(info.path));
  path_->SetToolTip(wxString::FromUTF8(info.path));
  schema_->SetLabelText(wxString::Format("%d", info.schema_version));
  kohl_version_->SetLabelText("Kohl " + wxString::FromUTF8(info.kohl_version));
  created_->SetLabelText(wxString::FromUTF8(info.created));
  message_->SetLabelText(wxEmptyString);
  show_details(true);
}

void ProjectPanel::show_no_project() {
  name_->SetLabelText("No project open");
  message_->SetForegroundColour(wxSystemSettings::GetColour(wxSYS_COLOUR_GRAYTEXT));
  message_->SetLabelText(L"Open a project with File \u2192 Open\u2026 (Ctrl+O), or start kohl-studio PROJECT.kohl.");
  show_details(false);
}

void ProjectPanel::show_error(const wxString& path, const wxString& message) {
  name_->SetLabelText("No project open");
  message_->SetForegroundColour(kErrorColour);
  message_->SetLabelText("Cannot open project: " + message);
  message_->SetToolTip(path);
  show_details(false);
}

wxString ProjectPanel::name_text() const { return name_->GetLabelText(); }

wxString ProjectPanel::message_text() const { return message_->GetLabelText(); }

}  // namespace kohl::gui
