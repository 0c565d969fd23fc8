-- POST /api/feedback/reports with varied descriptions and points in the city core.
local p95 = dofile(os.getenv("CITYOS_ROOT") .. "/scripts/wrk/p95.lua")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local texts = { "Đèn đường không sáng", "Ổ gà lớn giữa đường", "Cống nghẹt bốc mùi", "Rác tồn đọng nhiều ngày", "Cây gãy nhánh" }
local n = 0
request = function()
  n = n + 1
  local lat = 10.77 + (n % 50) * 0.0004
  local lon = 106.69 + (n % 37) * 0.0004
  local body = string.format('{"description":"%s (bench %d)","lat":%.5f,"lon":%.5f}', texts[(n % #texts) + 1], n, lat, lon)
  return wrk.format(nil, nil, nil, body)
end
