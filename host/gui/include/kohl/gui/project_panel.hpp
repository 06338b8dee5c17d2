// The project header of the main window: the open project's name (large, bold) and its
// facts (path, schema version, the Kohl that created it, when), or "No project open", or
// why the project could not be opened.
#pragma once

#include <wx/panel.h>
#include <wx/string.h>

class wxStaticText;
class wxSizer;

namespace kohl::core {
struct ProjectInfo;
}

namespace kohl::gui {

class ProjectPanel : public wxPanel {
 public:
  explicit ProjectPanel(wxWindow* parent);

  void show_project(const core::ProjectInfo& info);
  void show_no_project();
  // `path` could not be opened; `message` is core's one-line reason (it names the path).
  void show_error(const wxString& path, const wxString& message);

  // The big label's text: the project's name or "No project open" (tests read it).
  wxString name_text() const;
  // The hint or error line under the name; empty while a project is shown.
  wxString message_text() const;

 private:
  void show_details(bool show);

  wxStaticText* name_ = nullptr;
  wxStaticText* path_ = nullptr;
  wxStaticText* schema_ = nullptr;
  wxStaticText* kohl_version_ = nullptr;
  wxStaticText* created_ = nullptr;
  wxStaticText* message_ = nullptr;
  wxSizer* details_ = nullptr;
};

}  // namespace kohl::gui
