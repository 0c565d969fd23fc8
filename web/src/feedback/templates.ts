/**
 * Canned answers for staff to pick from and edit. The texts go to citizens,
 * so they are Vietnamese whatever the console's language; their names in the
 * picker are in the catalogues.
 */
import type { MessageKey } from '../i18n';

export interface AnswerTemplate {
  id: string;
  label: MessageKey;
  text: string;
}

export const ANSWER_TEMPLATES: Record<'answer' | 'reason' | 'forward', AnswerTemplate[]> = {
  answer: [
    {
      id: 'fixed',
      label: 'templates.fixed',
      text: 'Đơn vị đã kiểm tra thực tế và khắc phục xong sự việc ông/bà phản ánh. Trân trọng cảm ơn ông/bà đã phản ánh.',
    },
    {
      id: 'coordinated',
      label: 'templates.coordinated',
      text: 'Đơn vị đã phối hợp với các đơn vị liên quan xử lý dứt điểm sự việc. Nếu sự việc tái diễn, đề nghị ông/bà tiếp tục phản ánh qua Tổng đài 1022.',
    },
    {
      id: 'sanctioned',
      label: 'templates.sanctioned',
      text: 'Qua kiểm tra, đơn vị đã lập biên bản và xử lý vi phạm theo quy định. Trân trọng cảm ơn ông/bà đã phản ánh.',
    },
    {
      id: 'scheduled',
      label: 'templates.scheduled',
      text: 'Đơn vị đã xử lý tạm thời để bảo đảm an toàn và đưa vào kế hoạch sửa chữa, duy tu. Trân trọng cảm ơn ông/bà đã phản ánh.',
    },
  ],
  reason: [
    {
      id: 'not-ours',
      label: 'templates.notOurs',
      text: 'Nội dung phản ánh không thuộc phạm vi xử lý của đơn vị; đề nghị ông/bà liên hệ cơ quan có thẩm quyền để được hướng dẫn.',
    },
    {
      id: 'not-enough',
      label: 'templates.notEnough',
      text: 'Nội dung phản ánh chưa đủ thông tin (vị trí, thời gian cụ thể) để xác minh; đề nghị ông/bà gửi lại phản ánh với thông tin chi tiết hơn.',
    },
    {
      id: 'other-procedure',
      label: 'templates.otherProcedure',
      text: 'Nội dung phản ánh đang được giải quyết theo trình tự khiếu nại, tố cáo theo quy định của pháp luật.',
    },
  ],
  forward: [
    { id: 'ward', label: 'templates.forwardWard', text: 'Chuyển đơn vị có thẩm quyền theo địa bàn xảy ra sự việc.' },
    { id: 'sector', label: 'templates.forwardSector', text: 'Chuyển đơn vị quản lý chuyên ngành để xử lý theo thẩm quyền.' },
  ],
};
