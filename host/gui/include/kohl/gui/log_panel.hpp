// The log pane: mirrors kohl::core::logger() into a read-only text control, so what core
// and plugins report (rejected plugins, project errors) is visible without a terminal.
#pragma once

#include <memory>

#include <spdlog/common.h>
#include <wx/panel.h>
#include <wx/string.h>

class wxTextCtrl;

namespace kohl::gui {

class LogPaneSink;  // the spdlog sink behind the pane (log_panel.cpp)

class LogPanel : public wxPanel {
 public:
  // Adds a sink to kohl::core::logger() that forwards every message to this pane. The
  // sink may be called from any thread; it hands the line to the GUI thread (CallAfter),
  // so lines logged on a worker appear on the next event loop turn.
  explicit LogPanel(wxWindow* parent);
  // Detaches the sink first: messages logged afterwards are dropped, and lines already
  // queued for this pane are discarded with its pending events.
  ~LogPanel() override;

  // GUI thread only. `line` has no trailing newline.
  void append(spdlog::level::level_enum level, const wxString& line);
  // Everything shown so far (tests read it).
  wxString text() const;
  void clear();

 private:
  wxTextCtrl* text_ = nullptr;
  std::shared_ptr<LogPaneSink> sink_;
};

}  // namespace kohl::gui
