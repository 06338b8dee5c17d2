// The main window of kohl-studio. Thin on purpose: it owns the open project and the
// plugin host, arranges the panels (project header on top, plugin list and log pane in
// a splitter) and routes menu commands; the panels do the showing.
#pragma once

#include <memory>

#include <wx/frame.h>
#include <wx/string.h>

namespace kohl::core {
class PluginHost;
class Project;
}  // namespace kohl::core

namespace kohl::gui {

class LogPanel;
class PluginsPanel;
class ProjectPanel;

class MainFrame : public wxFrame {
 public:
  // Builds the window, loads the plugins from PluginHost::default_search_dirs() and, when
  // `project_path` is not empty, opens it (see open_project). Does not Show() itself.
  explicit MainFrame(const wxString& project_path = wxString());
  ~MainFrame() override;

  // Opens `path` read-write (a workbench edits its project). On failure the previous
  // project is closed, the reason goes to the project header, the status bar and the log,
  // and false is returned; the window stays usable.
  bool open_project(const wxString& path);
  // Loads the plugins again (F5), e.g. after a developer rebuilt one. Libraries already
  // loaded stay loaded (core never unloads them); the list shows the new scan.
  void reload_plugins();

  const core::Project* project() const { return project_.get(); }
  const core::PluginHost& plugin_host() const { return *plugins_; }
  ProjectPanel* project_panel() const { return project_panel_; }
  PluginsPanel* plugins_panel() const { return plugins_panel_; }
  LogPanel* log_panel() const { return log_panel_; }

 private:
  void build_menu();
  void update_title();

  std::unique_ptr<core::Project> project_;
  std::unique_ptr<core::PluginHost> plugins_;
  ProjectPanel* project_panel_ = nullptr;
  PluginsPanel* plugins_panel_ = nullptr;
  LogPanel* log_panel_ = nullptr;
};

}  // namespace kohl::gui
