#include "kohl/gui/log_panel.hpp"

#include <mutex>
#include <string>

#include <spdlog/sinks/base_sink.h>
#include <wx/settings.h>
#include <wx/sizer.h>
#include <wx/stattext.h>
#include <wx/textctrl.h>

#include "kohl/core/log.hpp"

namespace kohl::gui {

// Runs on whatever thread logs (plugin loading, later jobs); base_sink holds its mutex
// around sink_it_, and detach() takes the same mutex, so the pane pointer is never used
// after the pane starts dying. The text is formatted here and appended on the GUI thread.
class LogPaneSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit LogPaneSink(LogPanel* pane) : pane_(pane) {}

  // GUI thread, from ~LogPanel, after the sink was removed from the logger: a message
  // already being written when the pane goes away is dropped.
  void detach() {
    std::lock_guard<std::mutex> lock(mutex_);
    pane_ = nullptr;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (!pane_) return;
    spdlog::memory_buf_t buf;
    formatter_->format(msg, buf);
    std::string line(buf.data(), buf.size());
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    const auto level = msg.level;
    // CallAfter queues an event on the pane (thread-safe); if the pane is destroyed
    // before the event runs, wxEvtHandler's destructor deletes it unrun.
    LogPanel* pane = pane_;
    pane_->CallAfter([pane, level, text = wxString::FromUTF8(line)] { pane->append(level, text); });
  }
  void flush_() override {}

 private:
  LogPanel* pane_;
};

LogPanel::LogPanel(wxWindow* parent) : wxPanel(parent, wxID_ANY) {
  auto* title = new wxStaticText(this, wxID_ANY, "Log");
  title->SetFont(title->GetFont().Bold());

  text_ = new wxTextCtrl(this, wxID_ANY, wxEmptyString, wxDefaultPosition, wxDefaultSize,
                         wxTE_MULTILINE | wxTE_READONLY | wxTE_RICH2 | wxTE_DONTWRAP);
  wxFont mono(wxFontInfo(GetFont().GetPointSize()).Family(wxFONTFAMILY_TELETYPE));
  text_->SetFont(mono);

  auto* sizer = new wxBoxSizer(wxVERTICAL);
  sizer->Add(title, wxSizerFlags().Border(wxLEFT | wxRIGHT | wxTOP, FromDIP(8)));
  sizer->Add(text_, wxSizerFlags(1).Expand().Border(wxALL, FromDIP(8)));
  SetSizer(sizer);

  sink_ = std::make_shared<LogPaneSink>(this);
  sink_->set_pattern("%H:%M:%S  %-7l  %v");
  // The log pane is where a workbench user reads what happened (which plugin loaded from
  // where), so it shows debug lines; stderr keeps its own, quieter level.
  core::add_log_sink(sink_, spdlog::level::debug);
}

LogPanel::~LogPanel() {
  core::remove_log_sink(sink_);
  sink_->detach();  // a message already in flight to the pane is dropped
}

void LogPanel::append(spdlog::level::level_enum level, const wxString& line) {
  wxColour colour = wxSystemSettings::GetColour(wxSYS_COLOUR_WINDOWTEXT);
  if (level >= spdlog::level::err)
    colour = wxColour(0xC0, 0x1C, 0x28);
  else if (level == spdlog::level::warn)
    colour = wxColour(0x9A, 0x60, 0x00);
  else if (level <= spdlog::level::debug)
    colour = wxSystemSettings::GetColour(wxSYS_COLOUR_GRAYTEXT);
  text_->SetDefaultStyle(wxTextAttr(colour));
  text_->AppendText(line + "\n");
}

wxString LogPanel::text() const { return text_->GetValue(); }

void LogPanel::clear() { text_->Clear(); }

}  // namespace kohl::gui
